"""Data: every dataset as arrays in [0, 1], and the user's files turned into model inputs.

`catalog` names the datasets (digits, Fashion-MNIST, MNIST, the user's own converted ones, the user's .npz,
IDX, folder or zip) and loads them through `arrays`, `idx` and `imagefolder`; `owndata` converts a zip,
folder or .npz once into a named dataset kept in the store (`ownconvert` runs the conversion, `ownimages`
reads and squares image files, `ownnpz` streams arrays; `ownfile` adds the data file an imported
model came with once, at the model's size); `images` turns one untrusted image file into a
model input (`imagemessages` words its errors); `series` keeps a CSV time series (read by `seriescsv`) in the
store and cuts it into windows; `noise` corrupts images; `photos` is the full-size photo
dataset and its training patches. The lowest room: it uses only `aecore.errors`, and no Keras.
"""
