"""Data for the lecture's examples: MNIST, toy anime faces, image folders, sentences (the toy language and any
text file), and batching."""
from minigan.data.faces import FACE_ATTRIBUTES, make_faces
from minigan.data.idx import IDXError, read_idx, write_idx
from minigan.data.image_folder import ImageFolder
from minigan.data.loader import DataLoader, DrawnBatches, sample_batch
from minigan.data.mnist import (
    FASHION_MNIST, KMNIST, MNIST, DownloadError, IDXSource, ImageSplits, load_idx_dataset, load_mnist,
    scale_images,
)
from minigan.data.text import Corpus, Vocabulary, text_corpus, toy_corpus
