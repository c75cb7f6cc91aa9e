"""Seed tutorial, callbacks: every callback the tutorial lists, its
LambdaCallback examples, a LossHistory and the ModelCheckpoint example."""
import json
import os
import sys
import tempfile

import keras
import numpy as np
from keras.callbacks import (
    BaseLogger,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    RemoteMonitor,
    TensorBoard,
    TerminateOnNaN,
)
from keras.layers import Activation, Dense
from keras.models import Sequential

out_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix='callbacks-')
np.random.seed(11)
x_train = np.random.rand(256, 784).astype('float32')
y_train = np.eye(10)[np.random.randint(0, 10, 256)].astype('float32')
X_test, Y_test = x_train[:64], y_train[:64]


class LossHistory(keras.callbacks.Callback):
    def on_train_begin(self, logs={}):  # noqa: B006 - the tutorial's code
        self.losses = []

    def on_batch_end(self, batch, logs={}):  # noqa: B006 - the tutorial's code
        self.losses.append(logs.get('loss'))


model = Sequential()
model.add(Dense(10, input_dim=784, kernel_initializer='uniform'))
model.add(Activation('softmax'))
model.compile(loss='categorical_crossentropy', optimizer='rmsprop')

history = LossHistory()
model.fit(x_train, y_train, batch_size=128, epochs=20, verbose=0, callbacks=[history])
print('LossHistory:', len(history.losses), 'batch losses, first > last:',
      history.losses[0] > history.losses[-1])

# Save the model after every epoch where the validation loss improved.
weights_path = os.path.join(out_dir, 'weights.hdf5')
checkpointer = ModelCheckpoint(filepath=weights_path, verbose=1, save_best_only=True)
model.fit(x_train, y_train, batch_size=128, epochs=3, verbose=0,
          validation_data=(X_test, Y_test), callbacks=[checkpointer])
print('checkpoint written:', os.path.getsize(weights_path) > 0)

# Print the batch number at the beginning of every batch.
batch_print_callback = LambdaCallback(
    on_batch_begin=lambda batch, logs: print(batch))

# Stream the epoch loss to a file in JSON format (one object per line).
json_log = open(os.path.join(out_dir, 'loss_log.json'), mode='wt', buffering=1)  # noqa: UP015 - the tutorial's code
json_logging_callback = LambdaCallback(
    on_epoch_end=lambda epoch, logs: json_log.write(
        json.dumps({'epoch': epoch, 'loss': logs['loss']}) + '\n'),
    on_train_end=lambda logs: json_log.close()
)

# Terminate some processes after having finished model training.
processes = []
cleanup_callback = LambdaCallback(
    on_train_end=lambda logs: [
        p.terminate() for p in processes if p.is_alive()])

model.fit(x_train[:64], y_train[:64], batch_size=32, epochs=2, verbose=0,
          callbacks=[batch_print_callback, json_logging_callback, cleanup_callback])
with open(os.path.join(out_dir, 'loss_log.json')) as f:
    print('json log lines:', len(f.readlines()))

reduce_lr = ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=5, min_lr=0.001)
csv_logger = CSVLogger(os.path.join(out_dir, 'training.log'))
model.fit(x_train, y_train, epochs=2, verbose=0, validation_data=(X_test, Y_test),
          callbacks=[reduce_lr, csv_logger])
with open(os.path.join(out_dir, 'training.log')) as f:
    print('csv header:', f.readline().strip())

everything = [
    BaseLogger(stateful_metrics=None),
    TerminateOnNaN(),
    ProgbarLogger(count_mode='samples', stateful_metrics=None),
    History(),
    EarlyStopping(monitor='val_loss', min_delta=0, patience=0, verbose=0, mode='auto',
                  baseline=None, restore_best_weights=False),
    RemoteMonitor(root='http://127.0.0.1:9', path='/publish/epoch/end/', field='data',
                  headers=None, send_as_json=False),
    LearningRateScheduler(lambda epoch: 0.001 * 0.5 ** epoch, verbose=0),
    TensorBoard(log_dir=os.path.join(out_dir, 'logs'), histogram_freq=0, batch_size=32,
                write_graph=True, write_grads=False, write_images=False, embeddings_freq=0,
                embeddings_layer_names=None, embeddings_metadata=None, embeddings_data=None,
                update_freq='epoch'),
    ReduceLROnPlateau(monitor='val_loss', factor=0.1, patience=10, verbose=0, mode='auto',
                      min_delta=0.0001, cooldown=0, min_lr=0),
    CSVLogger(os.path.join(out_dir, 'all.csv'), separator=',', append=False),
]
result = model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0,
                   validation_data=(X_test, Y_test), callbacks=everything)
print('all callbacks ran:', sorted(result.history))
print('tensorboard events:', any(os.scandir(os.path.join(out_dir, 'logs'))))
