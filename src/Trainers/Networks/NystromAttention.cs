using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Amil.MLNet.Trainers.Networks;

/// <summary>
/// Nyström self-attention (Xiong et al. 2021), as TransMIL uses it: softmax(QKᵀ) over n tokens is approximated from
/// m landmarks (means of consecutive queries and keys) as softmax(Q K̃ᵀ) · pinv(softmax(Q̃ K̃ᵀ)) · softmax(Q̃ Kᵀ), the
/// pseudo-inverse by 6 Newton–Schulz-type iterations; memory and time grow with n·m instead of n². A depthwise
/// convolution over the sequence (kernel 33) adds a residual of the values. The sequence is padded at the front to a
/// multiple of m.
/// </summary>
internal sealed class NystromAttention : Module<Tensor, Tensor>
{
    private readonly Linear to_qkv,
        to_out;
    private readonly Conv2d residual;
    private readonly int _heads,
        _headSize,
        _landmarks,
        _iterations;
    private readonly TorchSharp.Scalar _scale;

    public NystromAttention(int size, int heads, int headSize, int landmarks, int iterations = 6, int kernel = 33)
        : base(nameof(NystromAttention))
    {
        (_heads, _headSize, _landmarks, _iterations) = (heads, headSize, landmarks, iterations);
        _scale = (1 / Math.Sqrt(headSize)).ToScalar();
        to_qkv = Linear(size, 3 * heads * headSize, hasBias: false);
        to_out = Linear(heads * headSize, size);
        residual = Conv2d(heads, heads, (kernel, 1), padding: (kernel / 2, 0), groups: heads, bias: false);
        RegisterComponents();
    }

    /// <param name="x">1 × n × size.</param>
    public override Tensor forward(Tensor x) => Attend(x, null).Output;

    /// <param name="x">1 × n × size.</param>
    /// <param name="rowOf">A token whose attention row (its mixing weights over every token, heads × n) to return
    /// too; null: none.</param>
    public (Tensor Output, Tensor? Row) Attend(Tensor x, long? rowOf)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[1],
            padding = (_landmarks - n % _landmarks) % _landmarks;
        if (padding > 0)
            x = F.pad(x, [0, 0, padding, 0]);
        long length = x.shape[1],
            group = length / _landmarks;
        var qkv = to_qkv.forward(x).chunk(3, -1);
        Tensor Heads(Tensor t) => t.view(1, length, _heads, _headSize).permute(0, 2, 1, 3); // 1 × h × L × d
        var (q, k, v) = (Heads(qkv[0]).mul(_scale), Heads(qkv[1]), Heads(qkv[2]));
        var qLandmarks = q.view(1, _heads, _landmarks, group, _headSize).mean([3]);
        var kLandmarks = k.view(1, _heads, _landmarks, group, _headSize).mean([3]);
        var toLandmarks = softmax(q.matmul(kLandmarks.transpose(-1, -2)), -1); // L × m
        var amongLandmarks = softmax(qLandmarks.matmul(kLandmarks.transpose(-1, -2)), -1); // m × m
        var fromLandmarks = softmax(qLandmarks.matmul(k.transpose(-1, -2)), -1); // m × L
        var inverse = PseudoInverse(amongLandmarks);
        var mixed = toLandmarks.matmul(inverse).matmul(fromLandmarks.matmul(v)).add(residual.forward(v));
        Tensor? row = null;
        if (rowOf is { } token)
            row = toLandmarks
                .select(2, padding + token)
                .unsqueeze(2)
                .matmul(inverse)
                .matmul(fromLandmarks)
                .squeeze(2)
                .squeeze(0)
                .narrow(1, padding, n)
                .MoveToOuterDisposeScope();
        var merged = mixed.permute(0, 2, 1, 3).reshape(1, length, _heads * _headSize);
        return (to_out.forward(merged).narrow(1, padding, n).MoveToOuterDisposeScope(), row);
    }

    /// <summary>The Moore–Penrose pseudo-inverse of each head's m × m matrix by iteration (Razavi et al. 2014), from
    /// z₀ = xᵀ / (max row sum · max column sum).</summary>
    private Tensor PseudoInverse(Tensor x)
    {
        var magnitude = x.abs();
        var z = x.transpose(-1, -2).div(magnitude.sum(-1).max().mul(magnitude.sum(-2).max()));
        var identity = eye(x.shape[^1], device: x.device).unsqueeze(0).unsqueeze(0);
        for (int i = 0; i < _iterations; i++)
        {
            var xz = x.matmul(z);
            var inner = identity.mul(Seven).sub(xz);
            inner = identity.mul(Fifteen).sub(xz.matmul(inner));
            inner = identity.mul(Thirteen).sub(xz.matmul(inner));
            z = z.matmul(inner).mul(Quarter);
        }
        return z;
    }

    // Owned scalars: TorchSharp keeps no reference to an implicitly converted one during the native call.
    private static readonly TorchSharp.Scalar Seven = 7.0.ToScalar(),
        Fifteen = 15.0.ToScalar(),
        Thirteen = 13.0.ToScalar(),
        Quarter = 0.25.ToScalar();
}
