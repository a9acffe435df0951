"""Placing sessions in the week: availability, pruning, the CP-SAT model, solving, explaining
why nothing fits, remembered solutions. A stage."""
