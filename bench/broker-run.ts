import { runBrokerBench } from './broker.js';

await runBrokerBench();
