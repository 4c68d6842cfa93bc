"""aecore: the autoencoder engine behind the dashboard and the command line.

Importing the package is cheap; Keras and TensorFlow load with the first module that needs them.
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probes, oneDNN notes) is noise in a CLI and a dashboard.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# scikit-learn's OpenMP threads busy-wait by default; with training or a second session on the other
# core, t-SNE of 300 codes took 37-50 s instead of ~2 s. Passive waiting gives the core back.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

__version__ = "0.1.0"
