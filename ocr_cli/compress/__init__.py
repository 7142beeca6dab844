"""Compressing character images: a NumPy autoencoder vs PCA, compared by PSNR (the seed's §5-6).

:mod:`~ocr_cli.compress.codecs` holds the methods and the measure (``psnr``, ``mean_psnr``,
``PCA``, ``Autoencoder``, ``load_codec``); :mod:`~ocr_cli.compress.experiments` holds what the
``ocr compress`` commands run (``train_codec``, ``eval_codec``, ``compare``) and their figures.
"""
from ocr_cli.compress.codecs import AE_DEFAULTS, PCA, Autoencoder, load_codec, mean_psnr, psnr
from ocr_cli.compress.experiments import CODE_SIZES, METHODS, compare, eval_codec, format_table, load_data, train_codec

__all__ = ["AE_DEFAULTS", "CODE_SIZES", "METHODS", "PCA", "Autoencoder", "compare", "eval_codec", "format_table",
           "load_codec", "load_data", "mean_psnr", "psnr", "train_codec"]
