using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>Attention pooling (Ilse et al. 2018): a = softmax(wᵀ tanh(V h)), or the gated form
/// a = softmax(wᵀ (tanh(V h) ⊙ sigm(U h))). Returns the weighted mean of the instances and the weights.</summary>
internal sealed class AttentionPooling : Module<Tensor, (Tensor Pooled, Tensor Weights)>
{
    private readonly Linear attention_V,
        attention_w;
    private readonly Linear? attention_U;

    public AttentionPooling(int embeddingSize, int attentionSize, bool gated)
        : base(nameof(AttentionPooling))
    {
        attention_V = Linear(embeddingSize, attentionSize);
        attention_w = Linear(attentionSize, 1);
        register_module(nameof(attention_V), attention_V);
        if (gated)
        {
            attention_U = Linear(embeddingSize, attentionSize);
            register_module(nameof(attention_U), attention_U);
        }
        register_module(nameof(attention_w), attention_w);
    }

    /// <param name="instances">N × L instance embeddings.</param>
    /// <returns>Pooled 1 × L embedding and N attention weights summing to 1.</returns>
    public override (Tensor Pooled, Tensor Weights) forward(Tensor instances)
    {
        using var scope = NewDisposeScope();
        var scores = Scores(instances).t(); // 1 × N
        var weights = softmax(scores, 1); // 1 × N
        var pooled = weights.mm(instances); // 1 × L
        return (pooled.MoveToOuterDisposeScope(), weights.squeeze(0).MoveToOuterDisposeScope());
    }

    /// <summary>The same pooling for B bags at once, each over its own patches only.</summary>
    /// <param name="instances">B × N × L instance embeddings, shorter bags zero-padded.</param>
    /// <param name="valid">B × N, true on real patches; null when no bag is padded.</param>
    /// <returns>B × L pooled embeddings and B × N weights (0 on padding), each bag's summing to 1.</returns>
    public (Tensor Pooled, Tensor Weights) PoolBatch(Tensor instances, Tensor? valid)
    {
        using var scope = NewDisposeScope();
        var scores = Scores(instances).squeeze(2); // B × N
        if (valid is not null)
            scores = scores.masked_fill(valid.logical_not(), double.NegativeInfinity);
        var weights = softmax(scores, 1); // B × N
        var pooled = weights.unsqueeze(1).bmm(instances).squeeze(1); // B × L
        return (pooled.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    /// <summary>wᵀ tanh(V h), or wᵀ (tanh(V h) ⊙ sigm(U h)): one score per instance, before the softmax.</summary>
    private Tensor Scores(Tensor instances)
    {
        var hidden = tanh(attention_V.forward(instances));
        if (attention_U is not null)
            hidden = hidden * sigmoid(attention_U.forward(instances));
        return attention_w.forward(hidden);
    }
}
