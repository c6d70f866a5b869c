/**
 * Training checkpoints: everything needed to continue a run exactly.
 *
 *   <run>/checkpoints/step-00000120/
 *     model.safetensors, config.json   the method's parameters (BatchNorm statistics included)
 *     optimizer.safetensors            AdamW moments by parameter name
 *     trainer.json                     position (stage, epoch, batch, step), optimizer step, guard state
 *   <run>/checkpoints/latest.json      {"checkpoint": "step-00000120"}
 *
 * A checkpoint is written into a temporary folder and renamed into place; only
 * then does latest.json (itself written atomically) point at it. A crash at any
 * moment leaves the previous checkpoint intact and pointed to.
 */
import * as tf from '@tensorflow/tfjs-core';
import fs from 'node:fs';
import path from 'node:path';
import type { ParameterSet } from '../models/params.ts';
import { loadParameters, saveParameters } from '../weights/checkpoint.ts';
import { readSafetensors, writeSafetensors, type HostTensor } from '../weights/safetensors.ts';
import { writeFileAtomicSync } from '../util/atomic_file.ts';
import { processIsAlive } from '../util/dir_lock.ts';
import type { AdamW } from './optim.ts';

/** Where training stands: the next batch to run is (stage, epoch, batch). */
export interface TrainingPosition {
  stage: number;
  epoch: number;
  batch: number;
  /** Optimiser steps taken (and skipped) so far. */
  step: number;
}

/** trainer.json. */
export interface TrainerState {
  format: 'medst-training-checkpoint';
  version: 1;
  position: TrainingPosition;
  optimizerStep: number;
  /** Non-finite steps skipped in a row at save time. */
  nonFiniteInARow: number;
  /** The run's configuration (stages, batch settings, seed), for the record. */
  run: unknown;
}

const LATEST = 'latest.json';

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

/** Saves a checkpoint atomically and points latest.json at it; keeps the newest `keep`. */
export async function saveTrainingCheckpoint(
  runDir: string,
  params: ParameterSet,
  optimizer: AdamW,
  state: Omit<TrainerState, 'format' | 'version' | 'optimizerStep'>,
  modelConfig: unknown,
  keep = 3,
): Promise<string> {
  const root = checkpointsDir(runDir);
  const name = `step-${String(state.position.step).padStart(8, '0')}`;
  const final = path.join(root, name);
  const staging = `${final}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  await saveParameters(params, staging, modelConfig);
  const optimizerState = optimizer.getState();
  try {
    const host = new Map<string, HostTensor>();
    for (const [key, tensor] of optimizerState.tensors) host.set(key, { shape: [...tensor.shape], data: tensor.dataSync() as Float32Array });
    await writeSafetensors(path.join(staging, 'optimizer.safetensors'), host, { step: String(optimizerState.step) });
  } finally {
    tf.dispose([...optimizerState.tensors.values()]);
  }
  const trainerState: TrainerState = { format: 'medst-training-checkpoint', version: 1, optimizerStep: optimizerState.step, ...state };
  fs.writeFileSync(path.join(staging, 'trainer.json'), JSON.stringify(trainerState, null, 2) + '\n');
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(staging, final);
  writeFileAtomicSync(path.join(root, LATEST), JSON.stringify({ checkpoint: name }) + '\n');
  // Prune older complete checkpoints (never the one just written).
  const all = fs.readdirSync(root).filter((f) => /^step-\d{8}$/.test(f)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(path.join(root, old), { recursive: true, force: true });
  return final;
}

const STAGING = /^step-\d{8}\.tmp-(\d+)$/;

/**
 * Removes the staging folders (`step-N.tmp-<pid>`) of checkpoint saves that a
 * killed process never finished; a folder of a process still running is left.
 * @returns the names removed, for the log.
 */
export function removeAbandonedCheckpointSaves(runDir: string): string[] {
  const root = checkpointsDir(runDir);
  if (!fs.existsSync(root)) return [];
  const removed: string[] = [];
  for (const name of fs.readdirSync(root).sort()) {
    const match = STAGING.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && processIsAlive(pid)) continue;
    fs.rmSync(path.join(root, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** The folder of the newest checkpoint of a run, or null when there is none. */
export function latestCheckpoint(runDir: string): string | null {
  const pointer = path.join(checkpointsDir(runDir), LATEST);
  if (!fs.existsSync(pointer)) return null;
  let name: string;
  try {
    name = (JSON.parse(fs.readFileSync(pointer, 'utf8')) as { checkpoint: string }).checkpoint;
  } catch (error) {
    throw new Error(`${pointer}: unreadable (${(error as Error).message})`);
  }
  const dir = path.join(checkpointsDir(runDir), name);
  if (!fs.existsSync(path.join(dir, 'trainer.json'))) throw new Error(`${pointer} points at ${dir}, which is incomplete or missing`);
  return dir;
}

/** Restores parameters and optimiser moments; returns the trainer state. */
export async function loadTrainingCheckpoint(dir: string, params: ParameterSet, optimizer: AdamW): Promise<TrainerState> {
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'trainer.json'), 'utf8')) as TrainerState;
  if (state.format !== 'medst-training-checkpoint') throw new Error(`${dir}/trainer.json: not a medst training checkpoint`);
  await loadParameters(params, dir);
  const { tensors } = await readSafetensors(path.join(dir, 'optimizer.safetensors'));
  const restored = new Map<string, tf.Tensor>();
  for (const [key, host] of tensors) restored.set(key, tf.tensor(host.data as Float32Array, host.shape, 'float32'));
  try {
    optimizer.setState({ step: state.optimizerStep, tensors: restored }, params.named({ trainableOnly: true }));
  } finally {
    tf.dispose([...restored.values()]);
  }
  return state;
}
