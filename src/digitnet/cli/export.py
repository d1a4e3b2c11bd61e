"""``digitnet export``: a model as ONNX, a PyTorch state_dict or plain NumPy arrays."""

from __future__ import annotations

import argparse
from typing import Any

from digitnet.cli.common import add_model_argument, load_model


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write a model as ONNX (.onnx), a PyTorch state_dict (.pt) or NumPy arrays (.npz)",
        description="Write the model in the format the extension of -o FILE names: .onnx "
        "(ONNX opset 17, input images (N, 784) float32 0..1, outputs 'outputs' and "
        "'probabilities'), .pt (the state_dict of a torch.nn.Sequential; needs torch) or "
        ".npz (plain arrays, np.load(FILE, allow_pickle=False)). See docs/export.md.",
    )
    add_model_argument(p)
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="the file to write: .onnx, .pt or .npz",
    )
    return p


def run(args: argparse.Namespace) -> int:
    from digitnet.export import (
        INPUT_NAME,
        OPSET,
        OUTPUT_NAMES,
        check_export_path,
        export,
        npz_arrays,
        torch_keys,
        torch_layout,
    )

    check_export_path(args.output)  # a wrong extension or folder: before reading the model
    net = load_model(args)
    path = export(net, args.output)
    suffix = path.suffix.lower()
    sizes = "-".join(map(str, net.sizes))
    n_in, n_out = net.sizes[0], net.sizes[-1]
    if suffix == ".onnx":
        print(f"wrote {path} (ONNX opset {OPSET}, {sizes})")
        print(f"  input:   {INPUT_NAME} (N, {n_in}) float32, pixels 0..1")
        print(
            f"  outputs: {OUTPUT_NAMES[0]} (N, {n_out}), the {net.output_activation} layer's "
            f"activations; {OUTPUT_NAMES[1]} (N, {n_out}), summing to 1"
        )
    elif suffix == ".pt":
        print(f"wrote {path} (PyTorch state_dict, {sizes})")
        print(f"  module:  torch.nn.Sequential({', '.join(torch_layout(net))})")
        print(f"  keys:    {', '.join(torch_keys(net))}; torch.load(FILE, weights_only=True)")
    else:
        print(f"wrote {path} (NumPy arrays, {sizes})")
        print(f"  arrays:  {', '.join(npz_arrays(net))}")
        print("  read:    np.load(FILE, allow_pickle=False)")
    return 0
