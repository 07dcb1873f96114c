"""SMS channel building blocks: segments, keywords, identity, state and reply shaping."""
