import { Rng } from '../../util/random';
import { deal, type ShardingStrategy } from './strategy';

export const randomSharding: ShardingStrategy = {
  name: 'random',
  description: 'rows shuffled with the job seed and dealt evenly',
  assign(rows, count, { seed }) {
    return deal(new Rng(seed).shuffle(Array.from(rows)), count).map((g) => g.sort());
  },
};
