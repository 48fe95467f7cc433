"""Task specs, evaluators, the bundled WebArena-style local sites and the benchmark runner."""
