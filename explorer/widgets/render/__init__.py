"""Pure renderers: plain data, tensors or objects of the public API in, an HTML string out (images as PNG data
URIs made with PIL). No widgets here, so every renderer is testable without a browser or a kernel."""
