#!/usr/bin/env python3
"""Draws the README's slide-map figure from a slide study's GeoJSON heatmaps (needs python3-pil).

Usage: build/slide-maps-figure.py STUDY_DATASET_DIR MASKS_DIR SEED OUT.png SLIDE... --methods m1 m2 ...
Each row is a slide: the ground truth (tumour mask, white on grey) and each method's map (its first measurement, the
model's own map) per slide min-max, on the tiles, in a blue-yellow scale, with the tumour outline in red."""
import json, os, sys
from PIL import Image, ImageDraw, ImageFont

args = sys.argv[1:]
methods = args[args.index("--methods") + 1:]
study, masks, seed, out, slides = args[0], args[1], args[2], args[3], args[4:args.index("--methods")]
W, H, SCALE = 256, 192, 8192 / 256  # panel size; level-0 px per panel px

def colour(t):
    stops = [(0, (48, 18, 59)), (0.25, (70, 107, 227)), (0.5, (40, 188, 200)), (0.75, (164, 252, 60)),
             (1, (250, 186, 57))]
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if t <= b:
            u = (t - a) / (b - a) if b > a else 0
            return tuple(int(ca[i] + (cb[i] - ca[i]) * u) for i in range(3))
    return stops[-1][1]

def outline(draw, mask):
    m = mask.resize((W, H)).convert("L").load()
    for y in range(1, H - 1):
        for x in range(1, W - 1):
            if m[x, y] > 127 and min(m[x - 1, y], m[x + 1, y], m[x, y - 1], m[x, y + 1]) <= 127:
                draw.point((x, y), fill=(230, 30, 30))

label_h = 18
sheet = Image.new("RGB", ((len(methods) + 1) * (W + 6), len(slides) * (H + label_h + 6) + label_h), "white")
d = ImageDraw.Draw(sheet)
font = ImageFont.load_default()
for c, name in enumerate(["ground truth"] + methods):
    d.text((c * (W + 6) + 4, 2), name, fill="black", font=font)
for r, slide in enumerate(slides):
    y0 = label_h + r * (H + label_h + 6)
    d.text((4, y0), slide, fill="black", font=font)
    mask = Image.open(os.path.join(masks, slide + ".png"))
    truth = Image.new("RGB", (W, H), (215, 215, 215))
    truth.paste((255, 255, 255), mask=mask.resize((W, H)).convert("L").point(lambda v: 255 if v > 127 else 0))
    sheet.paste(truth, (0, y0 + label_h))
    for c, method in enumerate(methods, start=1):
        geo = json.load(open(os.path.join(study, f"{method}-seed{seed}", "heatmaps", slide + ".geojson")))
        tiles = [(f["geometry"]["coordinates"][0], list(f["properties"]["measurements"].values())[0])
                 for f in geo["features"]]
        lo, hi = min(v for _, v in tiles), max(v for _, v in tiles)
        panel = Image.new("RGB", (W, H), (235, 235, 235))
        pd = ImageDraw.Draw(panel)
        for ring, v in tiles:
            (x0, y0t), (x1, y1t) = ring[0], ring[2]
            pd.rectangle([x0 / SCALE, y0t / SCALE, x1 / SCALE - 1, y1t / SCALE - 1],
                         fill=colour((v - lo) / (hi - lo) if hi > lo else 0))
        outline(pd, mask)
        sheet.paste(panel, (c * (W + 6), y0 + label_h))
sheet.save(out, optimize=True)
print(out, sheet.size)
