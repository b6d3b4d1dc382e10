"""The course's support code, apart from the ViT itself.

data          the photo, the digits and the augmentations, all offline
fashion_mnist Fashion-MNIST from its IDX files, and the bundled subset
training      optimizer, schedule, the training loop, evaluation
analysis      looking inside: confusion matrix, rollout, attention distance, ...
baselines     scikit-learn classifiers tuned by cross-validation
recipes       the models and training settings that notebooks 06 and 07 use
results       the benchmarks' results files
display       printing that another CPU prints the same way, and assert_same
plotting      the shared figures
"""
