"""aecore: the autoencoder engine behind the dashboard and the command line.

Importing the package is cheap; Keras and TensorFlow load with the first module that needs them.
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probes, oneDNN notes) is noise in a CLI and a dashboard.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

__version__ = "0.1.0"
