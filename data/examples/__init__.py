"""Example rows shipped with symtok."""
