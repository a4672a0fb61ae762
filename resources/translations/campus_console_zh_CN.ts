<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>AlarmActor</name>
    <message>
        <source>Not allowed: {reason}</source>
        <translation>无权操作：{reason}</translation>
    </message>
    <message>
        <source>Could not {action}: {reason}</source>
        <translation>{action}失败：{reason}</translation>
    </message>
    <message>
        <source>{action}: {summary}</source>
        <translation>{action}：{summary}</translation>
    </message>
    <message>
        <source>Could not silence: {reason}</source>
        <translation>消音失败：{reason}</translation>
    </message>
    <message>
        <source>Alarms silenced</source>
        <translation>已消音</translation>
    </message>
</context>
<context>
    <name>AlarmPanel</name>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>处理</translation>
    </message>
    <message>
        <source>Close…</source>
        <translation>关闭…</translation>
    </message>
    <message>
        <source>Silence</source>
        <translation>消音</translation>
    </message>
    <message>
        <source>A fire alarm stays open until the panel reports reset</source>
        <translation>火警须待控制器复位后才能关闭</translation>
    </message>
    <message>
        <source>{time}  raised  {summary}</source>
        <translation>{time}  报警  {summary}</translation>
    </message>
</context>
<context>
    <name>AlarmTableModel</name>
    <message>
        <source>Priority</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Place / what</source>
        <translation>位置 / 内容</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Count</source>
        <translation>次数</translation>
    </message>
    <message>
        <source> (reset)</source>
        <translation>（已复位）</translation>
    </message>
    <message>
        <source>Last: {time}</source>
        <translation>最近一次：{time}</translation>
    </message>
    <message>
        <source>First fire alarm</source>
        <translation>首警</translation>
    </message>
    <message>
        <source>Stays open until the panel reports reset</source>
        <translation>控制器复位前保持显示</translation>
    </message>
</context>
<context>
    <name>CameraPage</name>
    <message>
        <source>Name and place the camera</source>
        <translation>命名并放置摄像机</translation>
    </message>
    <message>
        <source>Pan, tilt and zoom through ONVIF</source>
        <translation>通过 ONVIF 云台控制（转动与变倍）</translation>
    </message>
    <message>
        <source>Id</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Campus</source>
        <translation>校区</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Main stream</source>
        <translation>主码流</translation>
    </message>
    <message>
        <source>Sub stream</source>
        <translation>子码流</translation>
    </message>
    <message>
        <source>Snapshot</source>
        <translation>抓图</translation>
    </message>
    <message>
        <source>Save to the site file</source>
        <translation>保存到站点文件</translation>
    </message>
    <message>
        <source>{model}, firmware {firmware}, serial {serial}</source>
        <translation>{model}，固件 {firmware}，序列号 {serial}</translation>
    </message>
    <message>
        <source>{n} media profiles</source>
        <translation>{n} 个媒体配置</translation>
    </message>
    <message>
        <source>⚠ The camera clock is off by {offset} s</source>
        <translation>⚠ 摄像机时钟偏差 {offset} 秒</translation>
    </message>
</context>
<context>
    <name>CameraTile</name>
    <message>
        <source>No video yet</source>
        <translation>暂无视频</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Stalled: no new picture</source>
        <translation>画面停滞：无新画面</translation>
    </message>
    <message>
        <source>Reconnecting ({reason}), attempt {n}, next try in {s} s</source>
        <translation>正在重连（{reason}），第 {n} 次，{s} 秒后重试</translation>
    </message>
    <message>
        <source>Offline: {reason}</source>
        <translation>离线：{reason}</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>auth failed</source>
        <translation>认证失败</translation>
    </message>
    <message>
        <source>not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <source>unreachable</source>
        <translation>网络不可达</translation>
    </message>
    <message>
        <source>timeout</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>unsupported codec</source>
        <translation>不支持的编码</translation>
    </message>
    <message>
        <source>stream ended</source>
        <translation>码流结束</translation>
    </message>
    <message>
        <source>stream error</source>
        <translation>码流错误</translation>
    </message>
    <message>
        <source>no stream URL</source>
        <translation>未配置码流地址</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>{fps} fps</source>
        <translation>{fps} 帧/秒</translation>
    </message>
    <message>
        <source>ALARM</source>
        <translation>报警</translation>
    </message>
</context>
<context>
    <name>CameraWall</name>
    <message>
        <source>Show &amp;motion boxes</source>
        <translation>显示移动侦测框(&amp;M)</translation>
    </message>
    <message>
        <source>Motion &amp;zones…</source>
        <translation>移动侦测区域(&amp;Z)…</translation>
    </message>
    <message>
        <source>Motion &amp;activity…</source>
        <translation>移动活跃度(&amp;A)…</translation>
    </message>
    <message>
        <source>No video yet</source>
        <translation>暂无视频</translation>
    </message>
</context>
<context>
    <name>DeviceTree</name>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>No campus</source>
        <translation>未分校区</translation>
    </message>
</context>
<context>
    <name>DispositionDialog</name>
    <message>
        <source>Close alarm</source>
        <translation>关闭报警</translation>
    </message>
    <message>
        <source>— choose —</source>
        <translation>— 请选择 —</translation>
    </message>
    <message>
        <source>What was found, what was done, who was told</source>
        <translation>现场情况、处置经过、已通知何人</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>处置结论</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
</context>
<context>
    <name>DonePage</name>
    <message>
        <source>Camera saved</source>
        <translation>摄像机已保存</translation>
    </message>
</context>
<context>
    <name>EventLogModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Point</source>
        <translation>点位</translation>
    </message>
    <message>
        <source>Summary</source>
        <translation>内容</translation>
    </message>
</context>
<context>
    <name>FindPage</name>
    <message>
        <source>Find the camera</source>
        <translation>查找摄像机</translation>
    </message>
    <message>
        <source>Search the local network (WS-Discovery) or type the camera's address.</source>
        <translation>搜索本地网络（WS-Discovery），或输入摄像机地址。</translation>
    </message>
    <message>
        <source>Search the network</source>
        <translation>搜索网络</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>ONVIF port</source>
        <translation>ONVIF 端口</translation>
    </message>
</context>
<context>
    <name>FireBoardView</name>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Silence</source>
        <translation>消音</translation>
    </message>
    <message>
        <source>Close…</source>
        <translation>关闭…</translation>
    </message>
    <message>
        <source>Fire procedure…</source>
        <translation>火灾处置程序…</translation>
    </message>
    <message>
        <source>Points of {panel}</source>
        <translation>{panel} 点位图</translation>
    </message>
    <message>
        <source>First fire alarm</source>
        <translation>首警</translation>
    </message>
    <message>
        <source>Linked cameras: {cameras}</source>
        <translation>联动摄像机：{cameras}</translation>
    </message>
</context>
<context>
    <name>FireEntryModel</name>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Component</source>
        <translation>部件类型</translation>
    </message>
    <message>
        <source>Panel / address</source>
        <translation>控制器 / 地址</translation>
    </message>
    <message>
        <source>Handling</source>
        <translation>处理状态</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像机</translation>
    </message>
    <message>
        <source> (reset)</source>
        <translation>（已复位）</translation>
    </message>
    <message>
        <source>First fire alarm</source>
        <translation>首警</translation>
    </message>
    <message>
        <source>Reported {n} times, last at {time}</source>
        <translation>共报 {n} 次，最近一次 {time}</translation>
    </message>
    <message>
        <source>The panel reported reset; close it with a disposition</source>
        <translation>控制器已复位，请填写处置结论后关闭</translation>
    </message>
</context>
<context>
    <name>FireLabels</name>
    <message>
        <source>Fire</source>
        <translation>火警</translation>
    </message>
    <message>
        <source>Supervisory</source>
        <translation>监管</translation>
    </message>
    <message>
        <source>Fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>屏蔽</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Feedback</source>
        <translation>反馈</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>FAULT</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Detector</source>
        <translation>火灾探测器</translation>
    </message>
    <message>
        <source>Manual call point</source>
        <translation>手动火灾报警按钮</translation>
    </message>
    <message>
        <source>Input/output module</source>
        <translation>输入/输出模块</translation>
    </message>
    <message>
        <source>Confirm the fire by the fastest means</source>
        <translation>以最快方式确认火灾</translation>
    </message>
    <message>
        <source>Make sure linkage control is on automatic</source>
        <translation>确认联动控制处于自动状态</translation>
    </message>
    <message>
        <source>Call 119</source>
        <translation>拨打 119 报警</translation>
    </message>
    <message>
        <source>Start the internal fire plan</source>
        <translation>启动单位内部灭火和应急疏散预案</translation>
    </message>
    <message>
        <source>Notify the person responsible for fire safety</source>
        <translation>报告单位消防安全责任人</translation>
    </message>
    <message>
        <source>Look at the linked cameras, phone the building, or send the nearest patrol.</source>
        <translation>查看联动摄像机、电话询问现场，或派最近的巡逻人员到场核实。</translation>
    </message>
    <message>
        <source>Set the linkage controller to automatic, so fans, pumps and doors act by themselves.</source>
        <translation>将消防联动控制器置于自动状态，使风机、水泵、防火门等自动动作。</translation>
    </message>
    <message>
        <source>Give the address, the location, what burns, how far it has spread, and who calls.</source>
        <translation>报告地址、起火部位、燃烧物质、火势大小及报警人姓名。</translation>
    </message>
    <message>
        <source>Send the fire-fighting and evacuation teams as the plan says.</source>
        <translation>按预案组织灭火救援和人员疏散。</translation>
    </message>
    <message>
        <source>Report to the person responsible for fire safety, or to the fire safety manager.</source>
        <translation>报告单位消防安全责任人或消防安全管理人。</translation>
    </message>
</context>
<context>
    <name>FireProcedureDialog</name>
    <message>
        <source>Fire procedure (GB 25506)</source>
        <translation>火灾处置程序（GB 25506）</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Skip…</source>
        <translation>跳过…</translation>
    </message>
    <message>
        <source>Write the reason in the note first</source>
        <translation>请先在备注中写明原因</translation>
    </message>
    <message>
        <source>Note for the step, or the reason for skipping it</source>
        <translation>本步骤备注，或跳过的原因</translation>
    </message>
    <message>
        <source>What to tell 119</source>
        <translation>向 119 报警的内容</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Location</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>What burns</source>
        <translation>燃烧物</translation>
    </message>
    <message>
        <source>Extent</source>
        <translation>火势</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>报警人</translation>
    </message>
    <message>
        <source>Write why the step is skipped in the note.</source>
        <translation>请在备注中写明跳过的原因。</translation>
    </message>
    <message>
        <source>Still to fill in for 119: {fields}</source>
        <translation>119 报警还需填写：{fields}</translation>
    </message>
    <message>
        <source>Not allowed: {reason}</source>
        <translation>无权操作：{reason}</translation>
    </message>
    <message>
        <source>Could not record the step: {reason}</source>
        <translation>无法记录该步骤：{reason}</translation>
    </message>
    <message>
        <source>All steps recorded.</source>
        <translation>全部步骤已记录。</translation>
    </message>
    <message>
        <source>skipped: {reason}</source>
        <translation>已跳过：{reason}</translation>
    </message>
</context>
<context>
    <name>FirstAdminDialog</name>
    <message>
        <source>Create the administrator</source>
        <translation>创建管理员</translation>
    </message>
    <message>
        <source>No user exists yet. Create the administrator account; it can then add the duty officers.</source>
        <translation>尚无用户。请先创建管理员账号，再由管理员添加值班人员。</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Display name</source>
        <translation>显示名称</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Repeat password</source>
        <translation>确认密码</translation>
    </message>
    <message>
        <source>The passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>GateChart</name>
    <message>
        <source>in ↑ / out ↓</source>
        <translation>进 ↑ / 出 ↓</translation>
    </message>
    <message>
        <source>{n_in} in, {n_out} out over {hours} h</source>
        <translation>{hours} 小时内 进 {n_in} 人次，出 {n_out} 人次</translation>
    </message>
    <message>
        <source>No passes in this period</source>
        <translation>此时段无通行记录</translation>
    </message>
</context>
<context>
    <name>GateFilterBar</name>
    <message>
        <source>All campuses</source>
        <translation>全部校区</translation>
    </message>
    <message>
        <source>Both directions</source>
        <translation>进出双向</translation>
    </message>
    <message>
        <source>All results</source>
        <translation>全部结果</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>All time</source>
        <translation>全部时间</translation>
    </message>
    <message>
        <source>From … to …</source>
        <translation>自定义时段</translation>
    </message>
    <message>
        <source>Name, card, plate or ID</source>
        <translation>姓名、卡号、车牌或编号</translation>
    </message>
    <message>
        <source>All gates</source>
        <translation>全部门禁</translation>
    </message>
</context>
<context>
    <name>GateLabels</name>
    <message>
        <source>Granted</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>Denied</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Info</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>In</source>
        <translation>进</translation>
    </message>
    <message>
        <source>Out</source>
        <translation>出</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>刷卡</translation>
    </message>
    <message>
        <source>Face</source>
        <translation>人脸</translation>
    </message>
    <message>
        <source>QR code</source>
        <translation>二维码</translation>
    </message>
    <message>
        <source>Plate</source>
        <translation>车牌</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Fingerprint</source>
        <translation>指纹</translation>
    </message>
    <message>
        <source>Remote</source>
        <translation>远程开门</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Unknown card</source>
        <translation>无此卡</translation>
    </message>
    <message>
        <source>Unknown person</source>
        <translation>无此人员</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>No permission here</source>
        <translation>无此门权限</translation>
    </message>
    <message>
        <source>Outside permitted hours</source>
        <translation>不在允许时段</translation>
    </message>
    <message>
        <source>Anti-passback</source>
        <translation>反潜回</translation>
    </message>
    <message>
        <source>Wrong password</source>
        <translation>密码错误</translation>
    </message>
    <message>
        <source>Face does not match</source>
        <translation>人脸比对不符</translation>
    </message>
    <message>
        <source>Fingerprint does not match</source>
        <translation>指纹比对不符</translation>
    </message>
    <message>
        <source>On the device's block list</source>
        <translation>设备黑名单</translation>
    </message>
    <message>
        <source>On the deny list</source>
        <translation>在黑名单中</translation>
    </message>
    <message>
        <source>Many refusals in a short time</source>
        <translation>短时间内多次拒绝</translation>
    </message>
    <message>
        <source>Tailgating</source>
        <translation>尾随</translation>
    </message>
    <message>
        <source>Door forced</source>
        <translation>门被强行打开</translation>
    </message>
    <message>
        <source>Door held open</source>
        <translation>开门超时</translation>
    </message>
    <message>
        <source>Wrong-way passage</source>
        <translation>逆行</translation>
    </message>
    <message>
        <source>Climbing over</source>
        <translation>翻越</translation>
    </message>
    <message>
        <source>Released for fire</source>
        <translation>消防联动释放</translation>
    </message>
    <message>
        <source>Opened remotely</source>
        <translation>远程开门</translation>
    </message>
    <message>
        <source>Closed remotely</source>
        <translation>远程关门</translation>
    </message>
</context>
<context>
    <name>GateListLabels</name>
    <message>
        <source>Deny list</source>
        <translation>黑名单</translation>
    </message>
    <message>
        <source>Allow list</source>
        <translation>白名单</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>卡号</translation>
    </message>
    <message>
        <source>Plate</source>
        <translation>车牌</translation>
    </message>
</context>
<context>
    <name>GateListsDialog</name>
    <message>
        <source>Deny and allow lists</source>
        <translation>黑白名单</translation>
    </message>
    <message>
        <source>Both lists</source>
        <translation>黑白名单全部</translation>
    </message>
    <message>
        <source>List</source>
        <translation>名单</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>号码</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>失效时间</translation>
    </message>
    <message>
        <source>Added by</source>
        <translation>添加人</translation>
    </message>
    <message>
        <source>Added at</source>
        <translation>添加时间</translation>
    </message>
    <message>
        <source>Card number or plate</source>
        <translation>卡号或车牌</translation>
    </message>
    <message>
        <source>Why (required)</source>
        <translation>原因（必填）</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>添加</translation>
    </message>
    <message>
        <source>Remove selected</source>
        <translation>删除所选</translation>
    </message>
    <message>
        <source>Import CSV…</source>
        <translation>导入 CSV…</translation>
    </message>
    <message>
        <source>Only an administrator may change the lists</source>
        <translation>只有管理员可以修改名单</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>New entry:</source>
        <translation>新条目：</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <source>Could not read the lists: {reason}</source>
        <translation>无法读取名单：{reason}</translation>
    </message>
    <message>
        <source>never</source>
        <translation>永不失效</translation>
    </message>
    <message>
        <source>{time} (expired)</source>
        <translation>{time}（已失效）</translation>
    </message>
    <message>
        <source>Enter a value and a reason</source>
        <translation>请填写号码和原因</translation>
    </message>
    <message>
        <source>Could not add: {reason}</source>
        <translation>添加失败：{reason}</translation>
    </message>
    <message>
        <source>Added {value} to the {list}</source>
        <translation>已将 {value} 加入{list}</translation>
    </message>
    <message>
        <source>Select the entries to remove</source>
        <translation>请选择要删除的条目</translation>
    </message>
    <message>
        <source>Removed</source>
        <translation>已删除</translation>
    </message>
    <message>
        <source>Could not remove: {reason}</source>
        <translation>删除失败：{reason}</translation>
    </message>
    <message>
        <source>Import list entries</source>
        <translation>导入名单条目</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Could not import: {reason}</source>
        <translation>导入失败：{reason}</translation>
    </message>
    <message>
        <source>Imported {n} entries, {bad} bad lines</source>
        <translation>已导入 {n} 条，{bad} 行有误</translation>
    </message>
    <message>
        <source>Line {line}: {reason}</source>
        <translation>第 {line} 行：{reason}</translation>
    </message>
</context>
<context>
    <name>GateLogModel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Gate</source>
        <translation>门禁设备</translation>
    </message>
    <message>
        <source>Door / lane</source>
        <translation>门 / 通道</translation>
    </message>
    <message>
        <source>Direction</source>
        <translation>方向</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>卡号</translation>
    </message>
    <message>
        <source>Plate</source>
        <translation>车牌</translation>
    </message>
    <message>
        <source>Person / vehicle ID</source>
        <translation>人员 / 车辆编号</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方式</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>GateLogView</name>
    <message>
        <source>Search by person needs the person-data permission</source>
        <translation>按人员搜索需要查看个人信息的权限</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Your role may not export</source>
        <translation>您的角色无权导出</translation>
    </message>
    <message>
        <source>Open camera (live)</source>
        <translation>打开摄像机（实时）</translation>
    </message>
    <message>
        <source>Show picture</source>
        <translation>显示抓拍图片</translation>
    </message>
    <message>
        <source>{n} rows</source>
        <translation>{n} 条</translation>
    </message>
    <message>
        <source>(scroll for older)</source>
        <translation>（向下滚动加载更早记录）</translation>
    </message>
    <message>
        <source>loading…</source>
        <translation>加载中…</translation>
    </message>
    <message>
        <source>Could not load the gate log: {reason}</source>
        <translation>无法加载门禁记录：{reason}</translation>
    </message>
    <message>
        <source>No camera is linked to this door</source>
        <translation>此门/通道未关联摄像机</translation>
    </message>
    <message>
        <source>Showing the door's camera live; playback is not available yet</source>
        <translation>已显示该通道摄像机的实时画面；暂不支持录像回放</translation>
    </message>
    <message>
        <source>Picture unavailable: {reason}</source>
        <translation>图片不可用：{reason}</translation>
    </message>
    <message>
        <source>{n} picture(s)</source>
        <translation>{n} 张图片</translation>
    </message>
    <message>
        <source>Export gate log</source>
        <translation>导出门禁记录</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>正在导出…</translation>
    </message>
    <message>
        <source>Export failed: {reason}</source>
        <translation>导出失败：{reason}</translation>
    </message>
    <message>
        <source>Exported {n} rows to {file}</source>
        <translation>已导出 {n} 条记录到 {file}</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>Fire</source>
        <translation>火警</translation>
    </message>
    <message>
        <source>Supervisory</source>
        <translation>监管</translation>
    </message>
    <message>
        <source>Fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>Disabled</source>
        <translation>屏蔽</translation>
    </message>
    <message>
        <source>Security</source>
        <translation>安防</translation>
    </message>
    <message>
        <source>Technical</source>
        <translation>技术</translation>
    </message>
    <message>
        <source>Info</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>In progress</source>
        <translation>处理中</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <source>Real fire</source>
        <translation>真实火警</translation>
    </message>
    <message>
        <source>False alarm</source>
        <translation>误报</translation>
    </message>
    <message>
        <source>Equipment fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>Test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>Nuisance</source>
        <translation>干扰</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>处理</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Real incident</source>
        <translation>真实警情</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Degraded</source>
        <translation>降级</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>管理员</translation>
    </message>
    <message>
        <source>Shift leader</source>
        <translation>值班长</translation>
    </message>
    <message>
        <source>Duty officer</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>Viewer</source>
        <translation>查看员</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像机</translation>
    </message>
    <message>
        <source>Fire panels</source>
        <translation>火灾报警控制器</translation>
    </message>
    <message>
        <source>Gates and doors</source>
        <translation>门禁闸机</translation>
    </message>
    <message>
        <source>Fire alarm</source>
        <translation>火警</translation>
    </message>
    <message>
        <source>Pre-alarm</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>启动</translation>
    </message>
    <message>
        <source>Feedback</source>
        <translation>反馈</translation>
    </message>
    <message>
        <source>Delay</source>
        <translation>延时</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>复位</translation>
    </message>
    <message>
        <source>Back to normal</source>
        <translation>恢复正常</translation>
    </message>
    <message>
        <source>Panel operation</source>
        <translation>控制器操作</translation>
    </message>
    <message>
        <source>Mains fault</source>
        <translation>主电故障</translation>
    </message>
    <message>
        <source>Battery fault</source>
        <translation>备电故障</translation>
    </message>
    <message>
        <source>Link fault</source>
        <translation>通信链路故障</translation>
    </message>
    <message>
        <source>Communication fault</source>
        <translation>通信故障</translation>
    </message>
    <message>
        <source>Analog value</source>
        <translation>模拟量</translation>
    </message>
    <message>
        <source>Roll-call answer</source>
        <translation>查岗应答</translation>
    </message>
    <message>
        <source>Transmission data</source>
        <translation>用户信息传输装置数据</translation>
    </message>
    <message>
        <source>Passage</source>
        <translation>通行</translation>
    </message>
    <message>
        <source>Access denied</source>
        <translation>拒绝通行</translation>
    </message>
    <message>
        <source>Door state</source>
        <translation>门状态</translation>
    </message>
    <message>
        <source>Tailgating</source>
        <translation>尾随</translation>
    </message>
    <message>
        <source>Reverse passage</source>
        <translation>反向闯入</translation>
    </message>
    <message>
        <source>Forced door</source>
        <translation>强行开门</translation>
    </message>
    <message>
        <source>Door held open</source>
        <translation>开门超时</translation>
    </message>
    <message>
        <source>Climbing over</source>
        <translation>翻越</translation>
    </message>
    <message>
        <source>Block-list hit</source>
        <translation>黑名单告警</translation>
    </message>
    <message>
        <source>Deny-list hit</source>
        <translation>禁止名单告警</translation>
    </message>
    <message>
        <source>Repeated refusals</source>
        <translation>连续拒绝通行</translation>
    </message>
    <message>
        <source>Fire release (doors open)</source>
        <translation>消防联动门常开</translation>
    </message>
    <message>
        <source>Motion</source>
        <translation>移动侦测</translation>
    </message>
    <message>
        <source>Motion ended</source>
        <translation>移动结束</translation>
    </message>
    <message>
        <source>Motion in armed zone</source>
        <translation>布防区域移动</translation>
    </message>
    <message>
        <source>Camera motion</source>
        <translation>摄像机移动侦测</translation>
    </message>
    <message>
        <source>Camera tamper</source>
        <translation>摄像机遮挡/移位</translation>
    </message>
    <message>
        <source>Camera input</source>
        <translation>摄像机报警输入</translation>
    </message>
    <message>
        <source>Device offline</source>
        <translation>设备离线</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <source>Console locked</source>
        <translation>监控台已锁定</translation>
    </message>
    <message>
        <source>Locked by {name}. Enter your password, or a shift leader's, to unlock.</source>
        <translation>由 {name} 锁定。请输入本人或值班长的密码解锁。</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Wrong password, or this user may not unlock the console.</source>
        <translation>密码错误，或该用户无权解锁。</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Campus Console — log in</source>
        <translation>校园安全监控台 — 登录</translation>
    </message>
    <message>
        <source>Username</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Wrong username or password, or the account is disabled.</source>
        <translation>用户名或密码错误，或账号已停用。</translation>
    </message>
</context>
<context>
    <name>LoginPage</name>
    <message>
        <source>Log in to the camera</source>
        <translation>登录摄像机</translation>
    </message>
    <message>
        <source>The password is kept in the credential store, never in the site file.</source>
        <translation>密码保存在凭据库中，绝不写入站点文件。</translation>
    </message>
    <message>
        <source>Connect and read the camera</source>
        <translation>连接并读取摄像机信息</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Credential name</source>
        <translation>凭据名称</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Campus Console — {site}</source>
        <translation>校园安全监控台 — {site}</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Devices</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Events</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Gate log</source>
        <translation>门禁记录</translation>
    </message>
    <message>
        <source>Fire board</source>
        <translation>火灾报警看板</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Lock screen</source>
        <translation>锁定(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Add ONVIF camera…</source>
        <translation>添加 ONVIF 摄像机…</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>F&amp;ire board</source>
        <translation>火灾报警看板(&amp;I)</translation>
    </message>
    <message>
        <source>Deny / allow &amp;lists…</source>
        <translation>黑白名单(&amp;L)…</translation>
    </message>
    <message>
        <source>Camera &amp;layout</source>
        <translation>画面布局(&amp;L)</translation>
    </message>
    <message>
        <source>{n} tiles</source>
        <translation>{n} 画面</translation>
    </message>
    <message>
        <source>&amp;Full screen</source>
        <translation>全屏(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Motion</source>
        <translation>移动侦测(&amp;M)</translation>
    </message>
    <message>
        <source>Show &amp;motion boxes</source>
        <translation>显示移动侦测框(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Alarm</source>
        <translation>报警(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <source>Motion &amp;zones</source>
        <translation>移动侦测区域(&amp;Z)</translation>
    </message>
    <message>
        <source>Motion &amp;activity</source>
        <translation>移动活跃度(&amp;A)</translation>
    </message>
    <message>
        <source>Motion zones of {camera} saved</source>
        <translation>{camera} 的移动侦测区域已保存</translation>
    </message>
    <message>
        <source>Unlocked by {user}</source>
        <translation>已由 {user} 解锁</translation>
    </message>
    <message>
        <source>About Campus Console</source>
        <translation>关于 校园安全监控台</translation>
    </message>
    <message>
        <source>Campus Console — the duty officers' workstation of the campus security monitoring centre.</source>
        <translation>校园安全监控台 — 校园安全监控中心值班人员工作站。</translation>
    </message>
</context>
<context>
    <name>MotionActivity</name>
    <message>
        <source>Motion activity — {camera}</source>
        <translation>移动活跃度 — {camera}</translation>
    </message>
    <message>
        <source>changed share of the picture</source>
        <translation>画面变化比例</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>No motion analysis for this camera</source>
        <translation>此摄像机未启用移动侦测</translation>
    </message>
    <message>
        <source>Motion now: {n} boxes</source>
        <translation>当前有移动：{n} 个区域</translation>
    </message>
    <message>
        <source>No motion now</source>
        <translation>当前无移动</translation>
    </message>
</context>
<context>
    <name>MotionZoneEditor</name>
    <message>
        <source>Motion zones — {camera}</source>
        <translation>移动侦测区域 — {camera}</translation>
    </message>
    <message>
        <source>Include (watch)</source>
        <translation>包含（侦测）</translation>
    </message>
    <message>
        <source>Exclude (ignore)</source>
        <translation>排除（忽略）</translation>
    </message>
    <message>
        <source> px</source>
        <translation> 像素</translation>
    </message>
    <message>
        <source>Armed: motion here is an alarm</source>
        <translation>布防：此区域内的移动即报警</translation>
    </message>
    <message>
        <source>&amp;Finish polygon</source>
        <translation>完成多边形(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Delete zone</source>
        <translation>删除区域(&amp;D)</translation>
    </message>
    <message>
        <source>Your role may not change the configuration</source>
        <translation>您的角色无权修改配置</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Sensitivity</source>
        <translation>灵敏度</translation>
    </message>
    <message>
        <source>Minimum object size</source>
        <translation>最小目标尺寸</translation>
    </message>
    <message>
        <source>Armed daily</source>
        <translation>每日布防时段</translation>
    </message>
    <message>
        <source>Zones</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Click to add points, double-click or Enter to close the polygon, right-click or Backspace to take the last point back.</source>
        <translation>单击添加顶点，双击或按 Enter 闭合多边形，右击或按 Backspace 撤销上一个顶点。</translation>
    </message>
    <message>
        <source>Zone {name} added</source>
        <translation>已添加区域 {name}</translation>
    </message>
    <message>
        <source>Could not save: {reason}</source>
        <translation>保存失败：{reason}</translation>
    </message>
    <message>
        <source>A zone called {name} exists already</source>
        <translation>已存在名为 {name} 的区域</translation>
    </message>
    <message>
        <source>include</source>
        <translation>包含</translation>
    </message>
    <message>
        <source>exclude</source>
        <translation>排除</translation>
    </message>
    <message>
        <source>, armed</source>
        <translation>，布防</translation>
    </message>
</context>
<context>
    <name>OnvifErrors</name>
    <message>
        <source>authentication failed</source>
        <translation>认证失败</translation>
    </message>
    <message>
        <source>the camera refused the request</source>
        <translation>摄像机拒绝了请求</translation>
    </message>
    <message>
        <source>the camera's reply was malformed</source>
        <translation>摄像机应答格式错误</translation>
    </message>
    <message>
        <source>no answer from the camera in time</source>
        <translation>摄像机未及时应答</translation>
    </message>
    <message>
        <source>the camera cannot be reached</source>
        <translation>无法连接摄像机</translation>
    </message>
    <message>
        <source>not supported</source>
        <translation>不支持</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>not allowed for your role</source>
        <translation>您的角色无权执行此操作</translation>
    </message>
</context>
<context>
    <name>OnvifWizard</name>
    <message>
        <source>Add ONVIF camera</source>
        <translation>添加 ONVIF 摄像机</translation>
    </message>
    <message>
        <source>Only an administrator may add cameras</source>
        <translation>只有管理员可以添加摄像机</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <source>{n} cameras found</source>
        <translation>找到 {n} 台摄像机</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Connected: {model}. Press Next.</source>
        <translation>已连接：{model}。请点击“下一步”。</translation>
    </message>
    <message>
        <source>Camera {name} ({id}) was added to the site file {file}, and its password to the credential store as {credential}.

The camera appears on the wall after the console is restarted.</source>
        <translation>摄像机 {name}（{id}）已写入站点文件 {file}，其密码已以 {credential} 为名存入凭据库。

重启监控台后，该摄像机将出现在电视墙上。</translation>
    </message>
</context>
<context>
    <name>PanelCard</name>
    <message>
        <source>Mains</source>
        <translation>主电</translation>
    </message>
    <message>
        <source>Battery</source>
        <translation>备电</translation>
    </message>
    <message>
        <source>Link</source>
        <translation>通信</translation>
    </message>
</context>
<context>
    <name>PanelCommandBar</name>
    <message>
        <source>Patrol check</source>
        <translation>查岗</translation>
    </message>
    <message>
        <source>Sync clock</source>
        <translation>校时</translation>
    </message>
    <message>
        <source>Read status</source>
        <translation>读取状态</translation>
    </message>
    <message>
        <source>Sent to the panel shown in the point grid</source>
        <translation>发送给点位图所示的控制器</translation>
    </message>
    <message>
        <source>Not allowed: {reason}</source>
        <translation>无权操作：{reason}</translation>
    </message>
    <message>
        <source>{command} sent to {panel}</source>
        <translation>{command}已发送至 {panel}</translation>
    </message>
    <message>
        <source>{command} on {panel} failed: {reason}</source>
        <translation>{panel} {command}失败：{reason}</translation>
    </message>
    <message>
        <source>{command} on {panel}: done</source>
        <translation>{panel} {command}完成</translation>
    </message>
    <message>
        <source>Patrol check answered by {panel} at {time}</source>
        <translation>{panel} 已于 {time} 应答查岗</translation>
    </message>
</context>
<context>
    <name>PointGrid</name>
    <message>
        <source>System {system}</source>
        <translation>系统 {system}</translation>
    </message>
    <message>
        <source>Zone {zone}</source>
        <translation>{zone} 区</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>点位</translation>
    </message>
    <message>
        <source>normal</source>
        <translation>正常</translation>
    </message>
</context>
<context>
    <name>PtzPad</name>
    <message>
        <source>PTZ — {camera}</source>
        <translation>云台 — {camera}</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Zoom in (+, wheel up)</source>
        <translation>放大（+ 键，滚轮向上）</translation>
    </message>
    <message>
        <source>Zoom out (−, wheel down)</source>
        <translation>缩小（− 键，滚轮向下）</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>Camera clock: not read yet</source>
        <translation>摄像机时钟：尚未读取</translation>
    </message>
    <message>
        <source>Set camera clock</source>
        <translation>校准摄像机时钟</translation>
    </message>
    <message>
        <source>Presets</source>
        <translation>预置位</translation>
    </message>
    <message>
        <source>Your role may not control cameras</source>
        <translation>您的角色无权控制摄像机</translation>
    </message>
    <message>
        <source>Camera clock set to the workstation's time</source>
        <translation>摄像机时钟已校准为本工作站时间</translation>
    </message>
    <message>
        <source>⚠ Camera clock {time} is off by {offset} s (more than {limit} s)</source>
        <translation>⚠ 摄像机时钟 {time} 偏差 {offset} 秒（超过 {limit} 秒）</translation>
    </message>
    <message>
        <source>Camera clock {time} (off by {offset} s)</source>
        <translation>摄像机时钟 {time}（偏差 {offset} 秒）</translation>
    </message>
    <message>
        <source>PTZ: {reason}</source>
        <translation>云台：{reason}</translation>
    </message>
</context>
<context>
    <name>PtzPresets</name>
    <message>
        <source>Go to</source>
        <translation>转到</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Save the camera's current position as a preset</source>
        <translation>将摄像机当前位置保存为预置位</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <source>ONVIF stores the camera's current position under the new name</source>
        <translation>ONVIF 会以新名称保存摄像机的当前位置</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Going to preset {name}</source>
        <translation>正在转到预置位 {name}</translation>
    </message>
    <message>
        <source>Preset {name} saved</source>
        <translation>预置位 {name} 已保存</translation>
    </message>
    <message>
        <source>Preset renamed to {name}</source>
        <translation>预置位已重命名为 {name}</translation>
    </message>
    <message>
        <source>Preset {name} deleted</source>
        <translation>预置位 {name} 已删除</translation>
    </message>
    <message>
        <source>Save preset</source>
        <translation>保存预置位</translation>
    </message>
    <message>
        <source>Name of the current position:</source>
        <translation>当前位置的名称：</translation>
    </message>
    <message>
        <source>Rename preset</source>
        <translation>重命名预置位</translation>
    </message>
    <message>
        <source>New name:</source>
        <translation>新名称：</translation>
    </message>
    <message>
        <source>Delete preset</source>
        <translation>删除预置位</translation>
    </message>
    <message>
        <source>Delete preset {name}?</source>
        <translation>删除预置位 {name}？</translation>
    </message>
</context>
<context>
    <name>PtzWallHook</name>
    <message>
        <source>PTZ control…</source>
        <translation>云台控制…</translation>
    </message>
    <message>
        <source>PTZ — {camera}</source>
        <translation>云台 — {camera}</translation>
    </message>
</context>
<context>
    <name>Reasons</name>
    <message>
        <source>authentication failed</source>
        <translation>认证失败</translation>
    </message>
    <message>
        <source>stream not found</source>
        <translation>码流不存在</translation>
    </message>
    <message>
        <source>unreachable</source>
        <translation>网络不可达</translation>
    </message>
    <message>
        <source>timed out</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>unsupported codec</source>
        <translation>不支持的编码</translation>
    </message>
    <message>
        <source>stream ended</source>
        <translation>码流结束</translation>
    </message>
    <message>
        <source>stream error</source>
        <translation>码流错误</translation>
    </message>
    <message>
        <source>no stream URL</source>
        <translation>未配置码流地址</translation>
    </message>
    <message>
        <source>no new frames (stalled)</source>
        <translation>画面停滞</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>重连中</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>demo scenario</source>
        <translation>演示脚本</translation>
    </message>
    <message>
        <source>reconnecting: {reason}</source>
        <translation>重连中：{reason}</translation>
    </message>
    <message>
        <source>listening on {reason}</source>
        <translation>监听 {reason}</translation>
    </message>
    <message>
        <source>camera clock off by {reason}</source>
        <translation>摄像机时钟偏差 {reason}</translation>
    </message>
</context>
<context>
    <name>SecondWallWindow</name>
    <message>
        <source>Camera wall 2 — {site}</source>
        <translation>第二监视墙 — {site}</translation>
    </message>
    <message>
        <source>Camera &amp;layout</source>
        <translation>画面布局(&amp;L)</translation>
    </message>
    <message>
        <source>{n} tiles</source>
        <translation>{n} 画面</translation>
    </message>
</context>
<context>
    <name>StatusPanel</name>
    <message>
        <source>On duty: {name} ({role})</source>
        <translation>值班：{name}（{role}）</translation>
    </message>
    <message>
        <source>Devices: </source>
        <translation>设备：</translation>
    </message>
    <message>
        <source>No open alarms</source>
        <translation>无未处理报警</translation>
    </message>
    <message>
        <source>Open alarms: </source>
        <translation>未处理报警：</translation>
    </message>
</context>
<context>
    <name>WallExtras</name>
    <message>
        <source>&amp;Wall</source>
        <translation>监视墙(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Second wall window</source>
        <translation>第二监视墙窗口(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Tours</source>
        <translation>轮巡(&amp;T)</translation>
    </message>
    <message>
        <source>Stop tour</source>
        <translation>停止轮巡</translation>
    </message>
    <message>
        <source>Start or stop the tour</source>
        <translation>开始/停止轮巡</translation>
    </message>
    <message>
        <source>Saved &amp;layouts</source>
        <translation>已存画面布局(&amp;L)</translation>
    </message>
    <message>
        <source>Save layout as…</source>
        <translation>画面布局另存为…</translation>
    </message>
    <message>
        <source>Tour stopped</source>
        <translation>轮巡已停止</translation>
    </message>
    <message>
        <source>Tour {name} paused: an alarm needs attention</source>
        <translation>轮巡“{name}”已暂停：有报警待处理</translation>
    </message>
    <message>
        <source>Tour {name} running</source>
        <translation>轮巡“{name}”进行中</translation>
    </message>
    <message>
        <source>Save layout</source>
        <translation>保存画面布局</translation>
    </message>
    <message>
        <source>Name of this layout:</source>
        <translation>布局名称：</translation>
    </message>
</context>
<context>
    <name>WallInteraction</name>
    <message>
        <source>Snapshot</source>
        <translation>抓图</translation>
    </message>
    <message>
        <source>Back to the grid</source>
        <translation>返回多画面</translation>
    </message>
    <message>
        <source>Maximise</source>
        <translation>最大化</translation>
    </message>
    <message>
        <source>Open in the second window</source>
        <translation>在第二监视墙中打开</translation>
    </message>
    <message>
        <source>No picture to save</source>
        <translation>没有可保存的画面</translation>
    </message>
    <message>
        <source>Snapshots need a data directory</source>
        <translation>抓图需要数据目录</translation>
    </message>
    <message>
        <source>Could not save the snapshot</source>
        <translation>抓图保存失败</translation>
    </message>
    <message>
        <source>Snapshot saved: {path}</source>
        <translation>抓图已保存：{path}</translation>
    </message>
</context>
<context>
    <name>ZoneCanvas</name>
    <message>
        <source>No picture from this camera yet</source>
        <translation>此摄像机尚无画面</translation>
    </message>
</context>
</TS>
