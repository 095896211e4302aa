"""Pure renderers: plain data in (strings, numbers, lists, dataclasses of them, numpy arrays, PIL images), an
HTML string out (images as PNG data URIs made with PIL). The panels turn models, tensors and encodings into that
data; no widgets here, so every renderer is testable without a browser or a kernel."""
