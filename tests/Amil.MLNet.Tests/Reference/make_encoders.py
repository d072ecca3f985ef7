"""Writes the small test encoders and their PyTorch reference features (tests/Amil.MLNet.Tests/Encoders/).

- tiny_vit.onnx: a ViT (patch 16, 112 px, 2 blocks, width 48, a class token and one register token), random
  weights, dynamic batch; its output is the token sequence, pooled by the manifest ("cls_mean", 2 prefix tokens).
- tiny_vit_external.onnx (+ .data): the same graph with every weight in an external data file, as ONNX stores
  models over 2 GB.
- tiny_cnn.onnx: a CNN taking NHWC input, exported for batch 1 (as many converted models are), resize 72 then
  centre crop 64, pooled output N x 32 x 1 x 1.

reference.json holds, for each encoder, the features PyTorch computes for three fixed patches (the pattern
EncoderCheck.FixedPatches makes), after the manifest's preprocessing. Run with Debian's python3-torch and
python3-onnx:  /usr/bin/python3 tests/Amil.MLNet.Tests/Reference/make_encoders.py
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "build"))
import export_encoder  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "Encoders")


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    def __init__(self, size=112, patch=16, width=48, depth=2, heads=4, registers=1):
        super().__init__()
        self.embed = nn.Conv2d(3, width, patch, patch)
        self.prefix = nn.Parameter(torch.randn(1, 1 + registers, width) * 0.5)
        self.position = nn.Parameter(torch.randn(1, (size // patch) ** 2, width) * 0.1)
        self.blocks = nn.Sequential(*[Block(width, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)

    def forward(self, x):
        tokens = self.embed(x).flatten(2).transpose(1, 2) + self.position
        tokens = torch.cat([self.prefix.expand(x.shape[0], -1, -1), tokens], dim=1)
        return self.norm(self.blocks(tokens))


class TinyCnnNhwc(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 3, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )

    def forward(self, x):
        return self.body(x.permute(0, 3, 1, 2))


def fixed_patches(n, size):
    """The same integers as EncoderCheck.FixedPatches: n x 3 x size x size, 0..255."""
    k, c, y, x = np.meshgrid(np.arange(n), np.arange(3), np.arange(size), np.arange(size), indexing="ij")
    return ((x * 37 + y * 11 + c * 71 + k * 53 + (x * y) % 29) % 256).astype(np.float32)


def reference(model, manifest, patches):
    """Features as the manifest says to compute them: centre crop, (x/255 - mean)/std, layout, pooling."""
    size = manifest["input_size"]
    margin = (patches.shape[-1] - size) // 2
    x = patches[:, :, margin:margin + size, margin:margin + size] / 255.0
    mean = np.array(manifest["mean"], dtype=np.float64).reshape(1, 3, 1, 1)
    std = np.array(manifest["std"], dtype=np.float64).reshape(1, 3, 1, 1)
    x = ((x - mean) / std).astype(np.float32)
    if manifest.get("layout", "nchw") == "nhwc":
        x = x.transpose(0, 2, 3, 1)
    with torch.no_grad():
        out = model(torch.from_numpy(np.ascontiguousarray(x))).numpy().astype(np.float64)
    return export_encoder.pool(out, manifest).tolist()


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261205)
    vit = TinyViT().eval()
    cnn = TinyCnnNhwc().eval()
    for m in cnn.modules():  # non-trivial batch-norm statistics, so eval mode differs from identity
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    vit_manifest = {
        "name": "tiny-vit", "input_size": 112, "microns_per_pixel": 1.0,
        "mean": [0.6, 0.45, 0.7], "std": [0.2, 0.25, 0.15],
        "pooling": "cls_mean", "prefix_tokens": 2, "feature_size": 96,
        "licence": "test model, random weights",
    }
    cnn_manifest = {
        "name": "tiny-cnn", "input_size": 64, "resize_to": 72, "layout": "nhwc",
        "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
        "pooling": "none", "feature_size": 32, "licence": "test model, random weights",
    }
    refs = {}
    written = export_encoder.export(vit, vit_manifest, os.path.join(OUT, "tiny_vit.onnx"))
    refs["tiny_vit"] = reference(vit, written, fixed_patches(3, 112))
    external = dict(vit_manifest, name="tiny-vit-external")
    written = export_encoder.export(vit, external, os.path.join(OUT, "tiny_vit_external.onnx"), external_data=True)
    refs["tiny_vit_external"] = reference(vit, written, fixed_patches(3, 112))
    written = export_encoder.export(cnn, cnn_manifest, os.path.join(OUT, "tiny_cnn.onnx"), dynamic_batch=False)
    refs["tiny_cnn"] = reference(cnn, written, fixed_patches(3, 72))
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump({"patches": {"tiny_vit": 112, "tiny_vit_external": 112, "tiny_cnn": 72}, "features": refs}, f)
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
