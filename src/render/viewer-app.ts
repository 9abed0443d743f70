/**
 * The browser side of `gaitforge view`, bundled with three.js into one inline
 * classic script by viewer.ts: reads the gaits (metadata and base64 GLBs) from
 * the page's JSON data block and shows one at a time with orbit controls,
 * play/pause, a time scrubber and a gait list filtered by label and source.
 * For tests and scripting it exposes `window.gaitforgeViewer` and sets
 * `data-gf-ready="true"` on <html> once the first gait is drawn.
 */
import {
  AmbientLight, AnimationMixer, Color, LoopOnce, DataTexture, DirectionalLight, Fog, HemisphereLight, LinearMipmapLinearFilter, Mesh,
  MeshLambertMaterial, NearestFilter, Object3D, PerspectiveCamera, PlaneGeometry, RepeatWrapping, Scene, SRGBColorSpace,
  Vector3, WebGLRenderer,
  type AnimationAction,
} from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { GLTFLoader, type GLTF } from 'three/examples/jsm/loaders/GLTFLoader.js';

/** One gait in the page's data block. */
export interface ViewerGait {
  id: string;
  label: string;
  source: string;
  generator: string | null;
  seed: number | null;
  identity: string | null;
  /** [xmin, ymin, zmin, xmax, ymax, zmax] over all frames and joints, metres. */
  bounds: [number, number, number, number, number, number];
  /** Unit walking direction on the ground (x, z). */
  heading: [number, number];
  /** The gait's GLB, base64. */
  glb: string;
}

/** The page's data block (`<script id="gaitforge-data" type="application/json">`). */
export interface ViewerData {
  title: string;
  legend: Record<string, string>;
  fps: number;
  frames: number;
  gaits: ViewerGait[];
}

export interface ViewerState {
  id: string | null;
  time: number;
  duration: number;
  playing: boolean;
  visible: string[];
  frame: number;
}

declare global {
  interface Window {
    gaitforgeViewer?: {
      select(id: string): Promise<void>;
      setTime(t: number): void;
      play(): void;
      pause(): void;
      state(): ViewerState;
    };
  }
}

function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`gaitforge viewer: element #${id} missing`);
  return e;
}

function decodeBase64(b64: string): ArrayBuffer {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out.buffer;
}

function fail(message: string): void {
  const box = document.getElementById('gf-error');
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
  console.error(`gaitforge viewer: ${message}`);
}

function main(): void {
  const data = JSON.parse($('gaitforge-data').textContent ?? '{}') as ViewerData;
  const labelSel = $('gf-label') as HTMLSelectElement;
  const sourceSel = $('gf-source') as HTMLSelectElement;
  const list = $('gf-list') as HTMLUListElement;
  const count = $('gf-count');
  const playBtn = $('gf-play') as HTMLButtonElement;
  const scrub = $('gf-scrub') as HTMLInputElement;
  const timeText = $('gf-time');
  const follow = $('gf-follow') as HTMLInputElement;
  const info = $('gf-info');
  const wrap = $('gf-view');

  for (const [sel, values] of [
    [labelSel, Object.keys(data.legend)],
    [sourceSel, [...new Set(data.gaits.map((g) => g.source))].sort()],
  ] as const) {
    for (const v of values) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = v;
      sel.appendChild(o);
    }
  }

  let renderer: WebGLRenderer;
  try {
    renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  } catch (e) {
    fail(`WebGL is not available in this browser (${(e as Error).message})`);
    return;
  }
  renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
  wrap.appendChild(renderer.domElement);
  const scene = new Scene();
  scene.background = new Color('#f4f5f7');
  scene.fog = new Fog('#f4f5f7', 12, 40);
  scene.add(new HemisphereLight('#ffffff', '#8a8a8a', 1.6));
  scene.add(new AmbientLight('#ffffff', 0.4));
  const sun = new DirectionalLight('#ffffff', 1.8);
  sun.position.set(3, 6, 4);
  scene.add(sun);
  // A checkered floor of 0.5 m tiles (triangles, not GridHelper's lines, which some
  // software WebGL renderers draw only partly).
  const tiles = new DataTexture(new Uint8Array([222, 224, 229, 255, 238, 240, 244, 255, 238, 240, 244, 255, 222, 224, 229, 255]), 2, 2);
  tiles.wrapS = tiles.wrapT = RepeatWrapping;
  tiles.magFilter = NearestFilter;
  tiles.minFilter = LinearMipmapLinearFilter;
  tiles.generateMipmaps = true;
  tiles.colorSpace = SRGBColorSpace;
  tiles.repeat.set(60, 60);
  tiles.needsUpdate = true;
  const grid = new Mesh(new PlaneGeometry(60, 60).rotateX(-Math.PI / 2), new MeshLambertMaterial({ map: tiles }));
  scene.add(grid);
  const camera = new PerspectiveCamera(40, 1, 0.05, 200);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.enableDamping = true;

  const resize = () => {
    const w = Math.max(1, wrap.clientWidth);
    const h = Math.max(1, wrap.clientHeight);
    renderer.setSize(w, h);
    camera.aspect = w / h;
    camera.updateProjectionMatrix();
  };
  new ResizeObserver(resize).observe(wrap);
  resize();

  const loader = new GLTFLoader();
  let current: { gait: ViewerGait; root: Object3D; rootJoint: Object3D | null; mixer: AnimationMixer; action: AnimationAction; duration: number } | null = null;
  let playing = true;
  let loadSeq = 0;
  let lastTick = -1;
  const lastRoot = new Vector3();

  const visible = (): ViewerGait[] =>
    data.gaits.filter((g) => (!labelSel.value || g.label === labelSel.value) && (!sourceSel.value || g.source === sourceSel.value));

  const renderList = () => {
    const gaits = visible();
    list.replaceChildren();
    for (const g of gaits) {
      const li = document.createElement('li');
      li.dataset.id = g.id;
      li.tabIndex = 0;
      if (current?.gait.id === g.id) li.classList.add('active');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = data.legend[g.label] ?? '#888';
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = g.id;
      const meta = document.createElement('span');
      meta.className = 'meta';
      meta.textContent = `${g.label} · ${g.source}`;
      li.append(sw, name, meta);
      li.addEventListener('click', () => void select(g.id));
      li.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') void select(g.id);
      });
      list.appendChild(li);
    }
    count.textContent = `${gaits.length} of ${data.gaits.length} gaits`;
  };

  const disposeTree = (o: Object3D) => {
    o.traverse((c) => {
      const m = c as Mesh;
      if (m.isMesh) {
        m.geometry.dispose();
        (Array.isArray(m.material) ? m.material : [m.material]).forEach((x) => x.dispose());
      }
    });
  };

  const frameCamera = (g: ViewerGait, start: Vector3) => {
    const [, y0, , , y1] = g.bounds;
    // Look at the walker from its side (perpendicular to the heading), a little from above;
    // with "follow" on, the camera then moves along with the root.
    const c = new Vector3(start.x, (y0 + y1) / 2, start.z);
    const side = new Vector3(-g.heading[1], 0, g.heading[0]);
    const dist = Math.max(1, y1 - y0) * 0.8 / Math.tan((camera.fov * Math.PI) / 360) + 0.8;
    camera.position.copy(c).addScaledVector(side, dist).add(new Vector3(0, 0.5, 0));
    controls.target.copy(c);
    camera.updateProjectionMatrix();
    controls.update();
    grid.position.set(Math.round(c.x), y0 - 0.03, Math.round(c.z));
  };

  const showInfo = (g: ViewerGait) => {
    const rows: [string, string][] = [
      ['id', g.id], ['label', g.label], ['source', g.source], ['generator', g.generator ?? '—'],
      ['seed', g.seed === null ? '—' : String(g.seed)], ['identity', g.identity ?? '—'],
    ];
    info.replaceChildren(
      ...rows.map(([k, v]) => {
        const d = document.createElement('div');
        const b = document.createElement('b');
        b.textContent = `${k}: `;
        d.append(b, document.createTextNode(v));
        return d;
      }),
    );
  };

  const select = async (id: string): Promise<void> => {
    const g = data.gaits.find((x) => x.id === id);
    if (!g) {
      fail(`no gait with id ${JSON.stringify(id)}`);
      return;
    }
    const seq = ++loadSeq;
    let gltf: GLTF;
    try {
      gltf = await loader.parseAsync(decodeBase64(g.glb), '');
    } catch (e) {
      fail(`cannot load the GLB of ${g.id}: ${(e as Error).message}`);
      return;
    }
    if (seq !== loadSeq) return; // a later selection won
    if (current) {
      scene.remove(current.root);
      current.mixer.stopAllAction();
      disposeTree(current.root);
    }
    const root = gltf.scene;
    scene.add(root);
    const mixer = new AnimationMixer(root);
    const clip = gltf.animations[0];
    if (!clip) {
      fail(`the GLB of ${g.id} has no animation`);
      return;
    }
    const action = mixer.clipAction(clip);
    // The viewer drives time itself (looping, scrubbing); LoopOnce + clamp lets t = duration show the last frame.
    action.setLoop(LoopOnce, 1);
    action.clampWhenFinished = true;
    action.play();
    const rootJoint = root.getObjectByName('gait_0_j0_root') ?? null;
    current = { gait: g, root, rootJoint, mixer, action, duration: clip.duration };
    scrub.max = String(clip.duration);
    scrub.step = String(1 / data.fps);
    mixer.setTime(0);
    root.updateMatrixWorld(true);
    if (rootJoint) rootJoint.getWorldPosition(lastRoot);
    else lastRoot.set((g.bounds[0] + g.bounds[3]) / 2, 0, (g.bounds[2] + g.bounds[5]) / 2);
    frameCamera(g, lastRoot);
    showInfo(g);
    list.querySelectorAll('li').forEach((li) => li.classList.toggle('active', li.dataset.id === g.id));
  };

  const setTime = (t: number) => {
    if (!current) return;
    current.action.paused = false;
    current.mixer.setTime(Math.max(0, Math.min(current.duration, t)));
  };

  const setPlaying = (p: boolean) => {
    playing = p;
    playBtn.textContent = p ? 'Pause' : 'Play';
    playBtn.setAttribute('aria-pressed', String(p));
  };

  playBtn.addEventListener('click', () => setPlaying(!playing));
  window.addEventListener('keydown', (ev) => {
    if (ev.code === 'Space' && !(ev.target instanceof HTMLInputElement) && !(ev.target instanceof HTMLSelectElement)) {
      ev.preventDefault();
      setPlaying(!playing);
    }
  });
  scrub.addEventListener('input', () => {
    setPlaying(false);
    setTime(Number(scrub.value));
  });
  for (const sel of [labelSel, sourceSel])
    sel.addEventListener('change', () => {
      renderList();
      const first = visible()[0];
      if (first && !visible().some((g) => g.id === current?.gait.id)) void select(first.id);
    });

  const tmp = new Vector3();
  const tick = (now: number) => {
    requestAnimationFrame(tick);
    const dt = lastTick < 0 ? 0 : Math.min(0.1, (now - lastTick) / 1000);
    lastTick = now;
    if (current) {
      if (playing) {
        const t = current.action.time + dt;
        setTime(t > current.duration ? 0 : t);
      }
      scrub.value = String(current.action.time);
      const frame = Math.round(current.action.time * data.fps);
      timeText.textContent = `${current.action.time.toFixed(2)} s · frame ${frame + 1}/${data.frames}`;
      if (current.rootJoint) {
        current.root.updateMatrixWorld(true);
        current.rootJoint.getWorldPosition(tmp);
        if (follow.checked) {
          const dx = tmp.x - lastRoot.x;
          const dz = tmp.z - lastRoot.z;
          camera.position.x += dx;
          camera.position.z += dz;
          controls.target.x += dx;
          controls.target.z += dz;
        }
        lastRoot.copy(tmp);
      }
    }
    controls.update();
    renderer.render(scene, camera);
  };

  window.gaitforgeViewer = {
    select,
    setTime: (t) => {
      setPlaying(false);
      setTime(t);
    },
    play: () => setPlaying(true),
    pause: () => setPlaying(false),
    state: () => ({
      id: current?.gait.id ?? null,
      time: current?.action.time ?? 0,
      duration: current?.duration ?? 0,
      playing,
      visible: visible().map((g) => g.id),
      frame: current ? Math.round(current.action.time * data.fps) : 0,
    }),
  };

  renderList();
  setPlaying(true);
  const first = data.gaits[0];
  if (!first) {
    fail('the page holds no gaits');
    return;
  }
  void select(first.id).then(() => {
    requestAnimationFrame(() => {
      renderer.render(scene, camera);
      document.documentElement.dataset.gfReady = 'true';
    });
  });
  requestAnimationFrame(tick);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', main);
else main();
