"""Seed tutorial, metrics and activations: metric names and functions, a
custom metric written with the backend, activations as layers, arguments
and backend functions."""
import keras
import keras.backend as K
import numpy as np
from keras import metrics
from keras.layers import Activation, Dense
from keras.models import Sequential


def show(values):
    """Values rounded to 4 decimals, as plain floats."""
    return np.round(np.asarray(values, dtype='float64'), 4).tolist()


np.random.seed(5)
x = np.random.rand(96, 8).astype('float32')
labels = (x[:, :4].sum(axis=1) > x[:, 4:].sum(axis=1)).astype('float32')
y = np.stack([labels, 1 - labels], axis=1)

model = Sequential([Dense(2, activation='softmax', input_shape=(8,))])
model.compile(loss='mean_squared_error', optimizer='sgd', metrics=['mae', 'acc'])
print('names:', model.metrics_names)
model.compile(loss='mean_squared_error', optimizer='sgd',
              metrics=[metrics.mae, metrics.categorical_accuracy])
history = model.fit(x, y, epochs=2, batch_size=32, verbose=0)
print('function metrics logged:', sorted(history.history))

y_true = np.array([[0., 1., 0.], [1., 0., 0.]], dtype='float32')
y_pred = np.array([[0.1, 0.7, 0.2], [0.3, 0.4, 0.3]], dtype='float32')
print('binary_accuracy', np.asarray(metrics.binary_accuracy(y_true, y_pred)).tolist())
print('categorical_accuracy', np.asarray(metrics.categorical_accuracy(y_true, y_pred)).tolist())
print('sparse_categorical_accuracy', np.asarray(
    metrics.sparse_categorical_accuracy(np.array([[1.], [0.]]), y_pred)).tolist())
print('top_k_categorical_accuracy', np.asarray(
    metrics.top_k_categorical_accuracy(y_true, y_pred, k=2)).tolist())
print('sparse_top_k_categorical_accuracy', np.asarray(
    metrics.sparse_top_k_categorical_accuracy(np.array([1, 0]), y_pred, k=1)).tolist())


def mean_pred(y_true, y_pred):
    return K.mean(y_pred)


binary = Sequential([Dense(1, activation='sigmoid', input_shape=(8,))])
binary.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['accuracy', mean_pred])
logs = binary.fit(x, labels, epochs=2, batch_size=32, verbose=0).history
print('custom metric logged:', sorted(logs), 'mean_pred in (0, 1):', 0 < logs['mean_pred'][-1] < 1)

# An Activation layer, or the activation argument: the same model.
model = Sequential()
model.add(Dense(64, input_shape=(8,)))
model.add(Activation('tanh'))
same = Sequential()
same.add(Dense(64, activation='tanh', input_shape=(8,)))
same.set_weights(model.get_weights())
print('Activation layer == activation argument:',
      np.allclose(model.predict(x), same.predict(x), atol=1e-6))

# An element-wise backend function as the activation.
backend_fn = Sequential()
backend_fn.add(Dense(64, activation=K.tanh, input_shape=(8,)))
backend_fn.add(Activation(K.tanh))
print('K.tanh output in (-1, 1):', bool(np.all(np.abs(backend_fn.predict(x)) < 1)))

t = K.constant([[1., 2., 3.], [-1., 0., 1.]])
print('softmax', show(K.eval(keras.activations.softmax(t, axis=-1))))
print('elu', show(K.eval(keras.activations.elu(t, alpha=1.0))))
print('selu', show(K.eval(keras.activations.selu(t))))
