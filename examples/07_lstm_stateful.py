'''A stateful LSTM reads long sequences in short pieces and still remembers.

The Keras 2 pattern: every sequence is cut into chunks, batch j holds chunk j
of every sequence, and `stateful=True` makes each batch start from the states
the last one ended with. Training runs one epoch at a time with
`shuffle=False` and calls `model.reset_states()` between passes over the data.

The target of each chunk is the running mean of its sequence so far, which
depends on chunks a stateless model never sees at the same time.
'''
import sys

import numpy as np
from keras.layers import LSTM, Dense
from keras.models import Sequential
from keras.optimizers import Adam

sequences, chunks, steps = 32, 6, 4
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 150


def make_data(seed):
    values = np.random.RandomState(seed).uniform(0, 1, (sequences, chunks, steps))
    # Batch j is chunk j of every sequence: sample i of a batch continues sample i
    # of the batch before it.
    x = values.transpose(1, 0, 2).reshape(chunks * sequences, steps, 1)
    running_mean = np.cumsum(values.sum(axis=2), axis=1) / (chunks * steps)
    return x, running_mean.T.reshape(chunks * sequences, 1)


x_train, y_train = make_data(1)
x_test, y_test = make_data(2)

for stateful in (True, False):
    np.random.seed(0)
    model = Sequential()
    model.add(LSTM(16, batch_input_shape=(sequences, steps, 1), stateful=stateful))
    model.add(Dense(1))
    model.compile(loss='mse', optimizer=Adam(lr=0.01))
    for _ in range(epochs):
        model.fit(x_train, y_train, batch_size=sequences, epochs=1, verbose=0, shuffle=False)
        model.reset_states()
    mse = model.evaluate(x_test, y_test, batch_size=sequences, verbose=0)
    print(f'stateful={stateful} test mse: {mse:.4f}')
print(f'target variance: {np.var(y_test):.4f}')
