"""The Pulumi program's building blocks, one concern per module; ``__main__.py`` wires them."""
