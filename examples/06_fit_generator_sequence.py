'''Trains an MLP on MNIST from a keras.utils.Sequence with fit_generator.

A Keras 2 script as written for data that does not fit in memory: the
Sequence hands out one batch at a time, shuffled each epoch, and
fit_generator reads it on worker threads. MNIST comes from the Keras cache.
'''
import math
import sys

import numpy as np
from keras.datasets import mnist
from keras.layers import Dense, Dropout
from keras.models import Sequential
from keras.utils import Sequence, to_categorical


class MNISTSequence(Sequence):
    def __init__(self, x, y, batch_size, shuffle=True):
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.order = np.arange(len(x))
        self.on_epoch_end()

    def __len__(self):
        return int(math.ceil(len(self.x) / float(self.batch_size)))

    def __getitem__(self, idx):
        rows = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
        images = self.x[rows].reshape(len(rows), 784).astype('float32') / 255
        return images, to_categorical(self.y[rows], 10)

    def on_epoch_end(self):
        if self.shuffle:
            np.random.shuffle(self.order)


epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
(x_train, y_train), (x_test, y_test) = mnist.load_data()
train = MNISTSequence(x_train, y_train, batch_size=64)
test = MNISTSequence(x_test, y_test, batch_size=100, shuffle=False)

model = Sequential()
model.add(Dense(256, activation='relu', input_shape=(784,)))
model.add(Dropout(0.2))
model.add(Dense(10, activation='softmax'))
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])

history = model.fit_generator(train, epochs=epochs, validation_data=test,
                              max_queue_size=4, workers=2, verbose=2)
loss, accuracy = model.evaluate_generator(test)
predictions = model.predict_generator(test)
print('epochs trained:', len(history.history['loss']))
print('predictions:', predictions.shape)
print('Test loss:', loss)
print('Test accuracy:', accuracy)
