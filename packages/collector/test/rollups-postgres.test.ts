import { openStore } from '../src/index.js';
import { dropSchema, PG_URL, postgresAvailable, uniqueSchema } from './pg.js';
import { defineRollupSuite } from './rollup-suite.js';

const availability = await postgresAvailable();

defineRollupSuite(
  'PostgreSQL',
  availability.ok
    ? () => {
        const schema = uniqueSchema();
        return { open: () => openStore(PG_URL, { pgSchema: schema }), destroy: () => dropSchema(schema) };
      }
    : null,
  availability.reason,
);
