"""Public pledges (双诺双评), residents' ratings of them, and grids' rectification (整改)."""
