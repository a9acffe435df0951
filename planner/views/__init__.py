"""What a person reads: terminal grid and texts, the HTML report, and their shared day model."""
