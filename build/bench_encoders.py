"""Writes the encoders `amil bench --encoders FOLDER` times: the real architectures with random weights (speed and
memory do not depend on the weights), each as NAME.onnx with its manifest, by build/export_encoder.py's export().

    /usr/bin/python3 build/bench_encoders.py .cache/bench-encoders
    amil bench --encoders .cache/bench-encoders --out runs/bench-encoders.json

ResNet50 is torchvision's; the ViTs are torchvision's VisionTransformer at 224 px: ViT-S/16 (width 384, 6 heads),
ViT-B/16 and ViT-L/14 (UNI's and Virchow's family), each giving its class token.
"""
import os
import sys

import torch
from torchvision.models import resnet50
from torchvision.models.vision_transformer import VisionTransformer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_encoder  # noqa: E402

IMAGENET = {"mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}


def vit(patch, layers, heads, width):
    model = VisionTransformer(224, patch, layers, heads, width, 4 * width)
    model.heads = torch.nn.Identity()  # the class token after the final norm
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else ".cache/bench-encoders"
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    cnn = resnet50()
    cnn.fc = torch.nn.Identity()
    models = [
        ("resnet50", cnn, 2048),
        ("vit-s16", vit(16, 12, 6, 384), 384),
        ("vit-b16", vit(16, 12, 12, 768), 768),
        ("vit-l14", vit(14, 24, 16, 1024), 1024),
    ]
    for name, model, features in models:
        manifest = dict(IMAGENET, name=name, input_size=224, pooling="none", feature_size=features,
                        licence="random weights (benchmark only)")
        export_encoder.export(model, manifest, os.path.join(out, name + ".onnx"))
        print("wrote", name)


if __name__ == "__main__":
    main()
