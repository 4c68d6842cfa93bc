"""Models: the autoencoder families, their Keras layers, and models written elsewhere.

`autoencoder` is the one object every family returns; `families` registers one builder per family,
built from `blocks` and the custom `layers`; `photonet` is the photo family's network; `foreign` turns
a notebook's model into an `Autoencoder`; `webexport` writes a decoder for the browser. Uses only
`aecore.errors`: a model never needs to know where its data came from.
"""
