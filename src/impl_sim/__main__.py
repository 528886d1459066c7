"""``python -m impl_sim`` runs the command line."""

from impl_sim.cli import main

main()
