"""Learning with Keras: the training studio's models, fitting in worker processes with a fair
queue, transfer learning, the batch-normalization comparison, explanations of a trained model
(saliency, Grad-CAM, occlusion, filter visualisation) and the notebook export.

TensorFlow and Keras are imported only inside the functions that need them.
"""
