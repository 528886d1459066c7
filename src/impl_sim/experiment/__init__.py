"""Running scenarios: runs, executors, the results store and exports."""
