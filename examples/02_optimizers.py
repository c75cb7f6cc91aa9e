"""Seed tutorial, optimizers: an SGD instance or a name; clipnorm and
clipvalue; each optimizer with the tutorial's signature."""
import numpy as np
from keras import optimizers
from keras.layers import Activation, Dense
from keras.models import Sequential

np.random.seed(3)
x_train = np.random.rand(128, 10).astype('float32')
y_train = np.eye(64)[np.random.randint(0, 64, 128)].astype('float32')

model = Sequential()
model.add(Dense(64, kernel_initializer='uniform', input_shape=(10,)))
model.add(Activation('softmax'))

sgd = optimizers.SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss='mean_squared_error', optimizer=sgd)
history = model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=0)
print('SGD nesterov loss:', round(history.history['loss'][-1], 6))

# Pass an optimizer by name: default parameters will be used.
model.compile(loss='mean_squared_error', optimizer='sgd')
model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)

# All parameter gradients will be clipped to a maximum norm of 1.
sgd = optimizers.SGD(lr=0.01, clipnorm=1.)
model.compile(loss='mean_squared_error', optimizer=sgd)
model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)

# All parameter gradients will be clipped to [-0.5, 0.5].
sgd = optimizers.SGD(lr=0.01, clipvalue=0.5)
model.compile(loss='mean_squared_error', optimizer=sgd)
model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)

# Each optimizer with the tutorial's signature and defaults.
for optimizer in (optimizers.SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False),
                  optimizers.RMSprop(lr=0.001, rho=0.9, epsilon=None, decay=0.0),
                  optimizers.Adagrad(lr=0.01, epsilon=None, decay=0.0),
                  optimizers.Adadelta(lr=1.0, rho=0.95, epsilon=None, decay=0.0),
                  optimizers.Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=None, decay=0.0,
                                  amsgrad=False)):
    print(type(optimizer).__name__, 'config:', sorted(optimizer.get_config()))

model.compile(loss='mean_squared_error', optimizer=optimizer)
loss = model.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0).history['loss'][0]
print('Adam loss:', round(loss, 6))
