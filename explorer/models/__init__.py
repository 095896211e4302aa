"""One file per architecture: its config, its layers bottom-up, its base model, then its task heads."""
