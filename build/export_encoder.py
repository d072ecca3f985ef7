"""Exports a pathology patch encoder to ONNX with its Amil.MLNet manifest (docs/encoders.md).

For a user who has the weights (nothing is downloaded): builds the network with timm (or torchvision), loads the
weight file, exports the graph with a dynamic batch axis, and writes NAME.onnx and NAME.json (the manifest, with the
file's SHA-256). Models over 2 GB are written with ONNX external data (NAME.onnx.data beside NAME.onnx).

    python3 build/export_encoder.py --list
    python3 build/export_encoder.py --recipe uni --weights pytorch_model.bin --out ~/encoders
    amil encoders check ~/encoders/uni.json

The recipes are in build/encoder_recipes.json; docs/encoders.md says which were checked against real weights.
The test encoders (tests/Amil.MLNet.Tests/Reference/make_encoders.py) are exported by the same export() function.
"""
import argparse
import hashlib
import json
import os

import numpy as np
import torch

RECIPES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "encoder_recipes.json")
TWO_GB = 2 * 1024 ** 3


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pool(output, manifest):
    """The manifest's pooling in NumPy: what Amil.MLNet does with the graph's output."""
    kind, prefix = manifest.get("pooling", "none"), manifest.get("prefix_tokens", 1)
    if kind == "none":
        return output.reshape(output.shape[0], -1)
    if kind == "cls":
        return output[:, 0]
    if kind == "mean":
        return output[:, prefix:].mean(axis=1)
    if kind == "cls_mean":
        return np.concatenate([output[:, 0], output[:, prefix:].mean(axis=1)], axis=1)
    raise ValueError(f"unknown pooling {kind}")


def export(model, manifest, path, external_data=False, dynamic_batch=True, opset=14):
    """Exports model (eval mode, float32) to path and writes the manifest beside it (same name, .json).

    manifest: the recipe fields (name, input_size, resize_to, microns_per_pixel, mean, std, layout, pooling,
    prefix_tokens, feature_size, licence); file and sha256 are filled in. Returns the manifest written.
    """
    model = model.eval().float()
    size = manifest["input_size"]
    shape = (1, size, size, 3) if manifest.get("layout", "nchw") == "nhwc" else (1, 3, size, size)
    dummy = torch.zeros(shape)
    with torch.no_grad():
        out = model(dummy)
    axes = {"input": {0: "N"}, "output": {0: "N"}} if dynamic_batch else None
    parameters = sum(p.numel() * p.element_size() for p in model.parameters())
    large = external_data or parameters >= TWO_GB
    target = path if not large else path + ".tmp"
    torch.onnx.export(model, dummy, target, input_names=["input"], output_names=["output"],
                      dynamic_axes=axes, opset_version=opset, do_constant_folding=True)
    if large:
        import onnx
        graph = onnx.load(target)
        onnx.save_model(graph, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=0)
        os.remove(target)
    features = pool(out.numpy(), manifest).shape[1]
    if features != manifest["feature_size"]:
        raise SystemExit(f"{manifest['name']}: the network gives {features} features after pooling "
                         f"{manifest.get('pooling', 'none')}, the recipe says {manifest['feature_size']}")
    written = dict(manifest, file=os.path.basename(path), sha256=sha256(path))
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(written, f, indent=2)
    return written


def build(recipe, weights):
    """The recipe's network with the user's weights (timm or torchvision, whichever the recipe names)."""
    state = torch.load(weights, map_location="cpu")
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if recipe["library"] == "timm":
        import timm  # the user's own install; not a dependency of Amil.MLNet
        kwargs = dict(recipe.get("timm_kwargs", {}))
        for key in ("mlp_layer", "act_layer"):
            if key in kwargs:
                kwargs[key] = resolve(kwargs[key])
        model = timm.create_model(recipe["timm_model"], pretrained=False, num_classes=0, **kwargs)
    else:
        import torchvision
        model = getattr(torchvision.models, recipe["torchvision_model"])()
        model.fc = torch.nn.Identity()
        if recipe.get("truncate_after") == "layer3":  # CLAM's ResNet50: layer3, then global average pooling
            model.layer4 = torch.nn.Identity()
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing:
        raise SystemExit(f"{weights}: weights missing for {len(missing)} tensors, e.g. {missing[:3]}; is this the "
                         f"right file for recipe {recipe['name']}?")
    if unexpected:
        print(f"note: {len(unexpected)} tensors in {weights} are not used, e.g. {unexpected[:3]}")
    return Tokens(model) if recipe.get("pooling") in ("cls_mean", "mean") else model


class Tokens(torch.nn.Module):
    """timm's forward_features: the token sequence, pooled by the manifest instead of the model's head."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model.forward_features(x)


def resolve(name):
    module, _, attribute = name.rpartition(".")
    return getattr(__import__(module, fromlist=[attribute]), attribute)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", help="a recipe name from build/encoder_recipes.json")
    parser.add_argument("--weights", help="the weight file (.bin, .pth, .pt) as its authors distribute it")
    parser.add_argument("--out", default=".", help="folder for NAME.onnx and NAME.json")
    parser.add_argument("--list", action="store_true", help="list the recipes")
    args = parser.parse_args()
    with open(RECIPES) as f:
        recipes = {r["name"]: r for r in json.load(f)["recipes"]}
    if args.list or not args.recipe:
        for r in recipes.values():
            print(f"{r['name']:14} {r['feature_size']:5} features  {r['input_size']} px  {r['source']}")
        return
    if args.recipe not in recipes or not args.weights:
        raise SystemExit(f"give --recipe (one of {', '.join(recipes)}) and --weights FILE")
    recipe = recipes[args.recipe]
    model = build(recipe, args.weights)
    manifest = {k: recipe[k] for k in ("name", "input_size", "resize_to", "microns_per_pixel", "mean", "std",
                                       "pooling", "prefix_tokens", "feature_size", "licence") if k in recipe}
    os.makedirs(args.out, exist_ok=True)
    written = export(model, manifest, os.path.join(args.out, recipe["name"] + ".onnx"))
    print(json.dumps(written, indent=2))


if __name__ == "__main__":
    main()
