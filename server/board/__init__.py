"""The ED board's core, framework-free: live change notifications and the board's view-models."""
