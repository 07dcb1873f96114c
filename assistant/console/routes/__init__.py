"""The console's blueprints, one per feature, and what they share (guards, rendering)."""
