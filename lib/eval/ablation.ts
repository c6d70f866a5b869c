/**
 * The Med-ST paper's comparison as typed data: each variant adds one component
 * (random init → global → + local → + MoVE → + FMC → + RMR, staged). Every
 * pre-trained variant gets the same budget: the same number of epochs in total,
 * split into the stages its objectives need. A single-stage variant decays its
 * learning rate once over the whole budget; a staged one restarts the warm-up in
 * every stage, so each later slot peaks at half the slot before (1, ½, ¼ of the
 * peak), which keeps the staged schedule close to one decay over the budget
 * (docs/lab-notebook.md §11: with equal peaks Med-ST lost what it had learned
 * after each restart).
 */
import type { StageConfig } from '../train/schedule.ts';

/** One row of the comparison. */
export interface AblationVariant {
  name: string;
  /** Short label for tables and plots. */
  label: string;
  /** Pre-train at all (false: evaluate the random initialisation). */
  pretrain: boolean;
  /** Feed the lateral view through the view experts. */
  useLateral: boolean;
  /** Stages for a budget of `epochs` epochs per stage slot (3 slots). */
  stages: (epochsPerSlot: number, learningRate: number) => StageConfig[];
}

const stage = (name: string, epochs: number, losses: StageConfig['losses'], chunkLength: number, learningRate: number): StageConfig => ({
  name,
  epochs,
  losses,
  chunkLength,
  learningRate,
  warmupFraction: 0.1,
});

/** Three slots of equal length; variants without temporal terms fill them with their own losses. */
export const ABLATION_VARIANTS: readonly AblationVariant[] = [
  { name: 'random', label: 'Random init', pretrain: false, useLateral: false, stages: () => [] },
  {
    name: 'global',
    label: 'Global (CLIP-style)',
    pretrain: true,
    useLateral: false,
    stages: (e, lr) => [stage('global', 3 * e, { global: 1 }, 2, lr)],
  },
  {
    name: 'global_local',
    label: '+ Local',
    pretrain: true,
    useLateral: false,
    stages: (e, lr) => [stage('align', 3 * e, { global: 1, local: 1 }, 2, lr)],
  },
  {
    name: 'move',
    label: '+ MoVE',
    pretrain: true,
    useLateral: true,
    stages: (e, lr) => [stage('align', 3 * e, { global: 1, local: 1 }, 2, lr)],
  },
  {
    name: 'fmc',
    label: '+ FMC',
    pretrain: true,
    useLateral: true,
    stages: (e, lr) => [stage('align', e, { global: 1, local: 1 }, 2, lr), stage('align+fmc', 2 * e, { global: 1, local: 1, fmc: 1 }, 3, lr / 2)],
  },
  {
    name: 'medst',
    label: '+ RMR (Med-ST, staged)',
    pretrain: true,
    useLateral: true,
    stages: (e, lr) => [
      stage('align', e, { global: 1, local: 1 }, 2, lr),
      stage('align+fmc', e, { global: 1, local: 1, fmc: 1 }, 3, lr / 2),
      stage('align+fmc+rmr', e, { global: 1, local: 1, fmc: 1, rmr: 1 }, 4, lr / 4),
    ],
  },
];
