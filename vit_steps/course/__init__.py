"""The course's support code, apart from the ViT itself.

data, fashion_mnist  the photo, the digits, Fashion-MNIST and the augmentations, all offline
training            optimizer, schedule, the training loop, evaluation
analysis            looking inside: attention rollout, attention distance, components
recipes             the models and training settings that notebooks 06 and 07 use
results             the benchmarks' results files
compare             printing that another CPU prints the same way, and assert_same
plotting            the shared figures
"""
