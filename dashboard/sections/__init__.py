"""Page sections: the larger parts of pages, each a module the page scripts in views/ call: the train form
(train_form), the importer (importer), the dataset upload and preview (datasets), the image pages' ranking and probes
(images), the latent pages' grids and samples (latent), the sampler's controls (sampler), the whole-dataset map
(whole_map) and the pad under it (latent_pad), the training timeline (timeline), the detector (anomaly), the photo denoiser (photo_denoise), the Restore page's colourise and
unwatermark (restore) and its series denoiser (restore_series).
May use: state, components, plots, server. Sections do not import each other; a page composes them."""
