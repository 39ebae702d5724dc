/** `npm start`: the protocol demo until the local cluster lands. */
import { runProtocolDemo } from './demo';

runProtocolDemo();
