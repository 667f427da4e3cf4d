"""A receiver simulator (hospital EPJ, GP system, municipality) over real HTTP; see ``server``."""
