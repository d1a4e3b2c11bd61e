"""digitnet as a scikit-learn estimator: being written."""
