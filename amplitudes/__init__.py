"""amplitudes: tree-level 2→2 and 2→3 QED, QCD and mixed processes, their diagrams, kinematics and
squared matrix elements (an independent numeric evaluator from explicit spinors, polarisations and
colour matrices), built on the symbolic core of ``symtok``."""

from amplitudes.physics.me2 import me2_at
from amplitudes.physics.particles import PARTICLES, Particle, particle
from amplitudes.physics.process import Process
from amplitudes.physics.theory import enumerate_processes

__all__ = ["PARTICLES", "Particle", "Process", "enumerate_processes", "me2_at", "particle"]
