"""amplitudes: tree-level 2→2 QED and QCD processes, their diagrams, kinematics and squared matrix
elements (an independent numeric evaluator from explicit spinors, polarisations and colour
matrices), built on the symbolic core of ``symtok``."""

from amplitudes.particles import PARTICLES, Particle, particle
from amplitudes.process import Process, enumerate_processes

__all__ = ["PARTICLES", "Particle", "Process", "enumerate_processes", "particle"]
