"""Data: every dataset as arrays in [0, 1], and the user's files turned into model inputs.

`catalog` names the datasets (digits, Fashion-MNIST, MNIST, the user's .npz, IDX, folder or zip) and
loads them through `arrays`, `idx` and `imagefolder`; `images` turns one untrusted image file into a
model input (`imagemessages` words its errors); `noise` corrupts images; `photos` is the full-size photo
dataset and its training patches. The lowest room: it uses only `aecore.errors`, and no Keras.
"""
