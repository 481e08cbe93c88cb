"""The programs around the scenes: the explorer page, captions, decks, stamps, frames, the layout check."""
