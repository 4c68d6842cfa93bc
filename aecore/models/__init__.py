"""Models: the autoencoder families, their Keras layers, and models written elsewhere.

`autoencoder` is the one object every family returns; `families` registers one builder per family,
built from `blocks` and the custom `layers`; `sequence` holds the networks of the families that take windows of
a time series (the LSTM and Conv1D autoencoders); `photonet` is the photo family's network (`photospec` its options, without Keras); `foreign` turns
a notebook's model into an `Autoencoder`; `webexport` writes a decoder for the browser. Uses only
`aecore.errors`: a model never needs to know where its data came from.
"""
