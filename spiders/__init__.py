"""Spiders: one generic ``news`` spider; sites differ only by their entry in a sites file."""
