"""Export a network to open formats (ONNX, PyTorch, NumPy): being written."""
