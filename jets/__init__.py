"""jets: Pythia8 + FastJet jet datasets (quark/gluon, top tagging) for the shared symtok encoder."""
