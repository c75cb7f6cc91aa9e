"""Seed tutorial, losses: compile with a loss name or a loss function; every
Keras 2 loss called on its own; integer labels made categorical."""
import keras
import numpy as np
from keras import losses
from keras.layers import Activation, Dense
from keras.models import Sequential
from keras.utils.np_utils import to_categorical


def show(values):
    """Values rounded to 4 decimals, as plain floats."""
    return np.round(np.asarray(values, dtype='float64'), 4).tolist()


np.random.seed(7)
x_train = np.random.rand(64, 10).astype('float32')
y_train = np.random.rand(64, 1).astype('float32')

model = Sequential()
model.add(Dense(1, input_shape=(10,)))
model.compile(loss='mean_squared_error', optimizer='sgd')
by_name = model.fit(x_train, y_train, epochs=2, batch_size=16, verbose=0)

model.compile(loss=losses.mean_squared_error, optimizer='sgd')
by_function = model.fit(x_train, y_train, epochs=2, batch_size=16, verbose=0)
print('mse by name:', [round(v, 4) for v in by_name.history['loss']])
print('mse by function:', [round(v, 4) for v in by_function.history['loss']])

# Every loss returns one value per sample.
y_true = np.array([[0., 1.], [1., 0.]], dtype='float32')
y_pred = np.array([[0.2, 0.8], [0.6, 0.4]], dtype='float32')
for fn in (losses.mean_squared_error, losses.mean_absolute_error,
           losses.mean_absolute_percentage_error, losses.mean_squared_logarithmic_error,
           losses.squared_hinge, losses.hinge, losses.categorical_hinge, losses.logcosh,
           losses.categorical_crossentropy, losses.binary_crossentropy,
           losses.kullback_leibler_divergence, losses.poisson, losses.cosine_proximity):
    print(fn.__name__, show(fn(y_true, y_pred)))
sparse = losses.sparse_categorical_crossentropy(np.array([1, 0]), y_pred)
print('sparse_categorical_crossentropy', show(sparse))

# Integer class ids to one-hot targets for categorical_crossentropy.
int_labels = np.array([0, 2, 1, 2])
categorical_labels = to_categorical(int_labels, num_classes=None)
print('to_categorical:', categorical_labels.tolist())

classifier = Sequential([Dense(3, input_shape=(10,)), Activation('softmax')])
classifier.compile(loss='categorical_crossentropy', optimizer='sgd')
classifier.fit(np.random.rand(4, 10), categorical_labels, verbose=0)
print('keras is', keras.__name__, 'served by jeras')
